//! Writes the generated seeds under `fuzz/seeds/` (docs/fuzzing.md): the
//! `record_decoder` seeds, stored rows and cached values exactly as this
//! release encodes them, each also cut short and under an unknown format
//! version; and the `multipart_upload` seeds, upload bodies around the
//! `image_sniffing` seed images. Needs the fuzzing entry points:
//!
//! ```text
//! RUSTFLAGS="--cfg fuzzing" cargo run --manifest-path fuzz/Cargo.toml --example seeds
//! ```

use std::fs;
use std::path::Path;

fn main() -> std::io::Result<()> {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    write_record_seeds(&seeds.join("record_decoder"))?;
    write_upload_seeds(&seeds.join("multipart_upload"))
}

fn write_record_seeds(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut records = minigram::fuzzing::sample_rows();
    records.extend(minigram::fuzzing::sample_cached_values());
    for (name, bytes) in records {
        fs::write(dir.join(&name), &bytes)?;
        fs::write(
            dir.join(format!("{name}-truncated")),
            &bytes[..bytes.len() / 2],
        )?;
        if name.starts_with("user") || name.starts_with("photo") {
            let mut newer = bytes.clone();
            newer[0] = 2;
            fs::write(dir.join(format!("{name}-format-2")), newer)?;
        }
    }
    Ok(())
}

fn write_upload_seeds(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/image_sniffing");
    let png = fs::read(images.join("red-3x2.png"))?;
    let jpeg = fs::read(images.join("blue-2x5.jpg"))?;
    let bmp = fs::read(images.join("bmp-2x2-unsupported.bmp"))?;
    let photo = |content: &[u8]| part("name=\"photo\"; filename=\"a.png\"", content);
    let caption = |text: &[u8]| part("name=\"caption\"", text);
    let bodies: [(&str, Vec<u8>); 7] = [
        (
            "photo-and-caption",
            [photo(&png), caption("sunset ☀".as_bytes())].concat(),
        ),
        ("photo-only", photo(&jpeg)),
        ("caption-only", caption(b"no photo")),
        ("two-photos", [photo(&png), photo(&jpeg)].concat()),
        (
            "caption-not-utf8",
            [photo(&png), caption(b"\xff\xfe")].concat(),
        ),
        ("unsupported-image", photo(&bmp)),
        (
            "oversized-photo",
            photo(&[png.as_slice(), &[0; 5000]].concat()),
        ),
    ];
    for (name, parts) in bodies {
        fs::write(dir.join(name), [parts, b"--X--\r\n".to_vec()].concat())?;
    }
    Ok(())
}

/// One part of a body with boundary `X`.
fn part(disposition: &str, content: &[u8]) -> Vec<u8> {
    let head = format!("--X\r\nContent-Disposition: form-data; {disposition}\r\n\r\n");
    [head.as_bytes(), content, b"\r\n"].concat()
}
