//! The web app in a real headless Chromium (see `browser_driver`): two
//! people in two browsers sign up, one posts a photo, the other follows
//! them, sees it in the home feed and likes it; a caption full of markup
//! stays text; a cross-site write with the cookie is refused; logout ends
//! the session. And, on a server with tight limits, a too-large upload and
//! a rate-limited login are explained where they happen, and a dropped
//! picture posts. Screenshots of the main pages go to
//! `<target>/browser-screenshots/`. Needs Debian's `chromium` and
//! `chromium-driver`; fails (never skips) without them.

use std::time::Duration;

use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::browser_driver::{Browser, Chromedriver, screenshot_dir};
use crate::helpers::{Backend, TestApp, assert_error, spawn_app, spawn_with};
use crate::web_app::with_cookie;

/// The longest any one step may take (generous: CI runs these beside the
/// rest of the suite on two cores).
const STEP: Duration = Duration::from_secs(30);
/// The whole scenario.
const SCENARIO: Duration = Duration::from_secs(240);

/// A caption that would run script if it were ever parsed as HTML.
const HOSTILE_CAPTION: &str = "Sunset over the bay <img src=x onerror=\"window.__pwned=1\"> \
     <script>window.__pwned=2</script>";

/// Records what the page reports as going wrong: uncaught errors,
/// rejected promises, `console.error` and CSP violations. Installed after
/// each full page load (the app itself routes without reloading).
const ERROR_HOOK: &str = r#"
    window.__errors = [];
    const note = (what) => window.__errors.push(String(what));
    window.addEventListener('error', (e) => note('error: ' + (e.message || e.target?.src || e.type)), true);
    window.addEventListener('unhandledrejection', (e) => note('unhandled: ' + e.reason));
    document.addEventListener('securitypolicyviolation', (e) => note('csp: ' + e.violatedDirective + ' ' + e.blockedURI));
    const original = console.error.bind(console);
    console.error = (...args) => { note('console: ' + args.join(' ')); original(...args); };
"#;

/// Loads `url`, installs the error hook and waits for `ready` (a CSS
/// selector) to be on the page.
async fn open(client: &Client, url: &str, ready: &str) {
    // By way of a blank page: going to the URL already shown, or one that
    // differs in the fragment only, would not load the page again.
    client.goto("about:blank").await.unwrap();
    client.goto(url).await.unwrap();
    client.execute(ERROR_HOOK, vec![]).await.unwrap();
    let script = format!("return !!document.querySelector({})", json!(ready));
    until(client, ready, &script).await;
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap()
}

/// Waits until `script` returns true.
async fn until(client: &Client, what: &str, script: &str) {
    let done = tokio::time::timeout(STEP, async {
        loop {
            if js(client, script).await == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    if done.is_err() {
        let page = js(client, "return document.body.innerText").await;
        panic!("timed out waiting for {what}; the page says:\n{page}");
    }
}

/// Waits until the element at `css` shows text containing `text`.
async fn until_text(client: &Client, css: &str, text: &str) {
    let script = format!(
        "const e = document.querySelector({css}); return !!e && e.textContent.includes({text});",
        css = json!(css),
        text = json!(text),
    );
    until(client, &format!("{css} to say {text:?}"), &script).await;
}

async fn fill(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn screenshot(client: &Client, name: &str) {
    // Fonts and images settle.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let png = client.screenshot().await.unwrap();
    let dir = screenshot_dir();
    tokio::fs::create_dir_all(&dir).await.unwrap();
    tokio::fs::write(dir.join(format!("{name}.png")), png)
        .await
        .unwrap();
}

/// What the page reported going wrong since it was opened.
async fn page_errors(client: &Client) -> Vec<Value> {
    match js(client, "return window.__errors").await {
        Value::Array(errors) => errors,
        other => panic!("the error hook is gone: {other}"),
    }
}

/// Nothing went wrong in `browser` since the last look but what `expected`
/// names (parts of log lines: a refusal the test provoked shows as a
/// failed load): neither in the browser's own log (console messages,
/// failed loads, CSP reports, from the page's first moment) nor in what
/// the hook saw.
async fn assert_quiet(who: &str, browser: &Browser, expected: &[&str]) {
    let log: Vec<String> = browser
        .browser_log()
        .await
        .into_iter()
        .filter(|line| !expected.iter().any(|e| line.contains(e)))
        .collect();
    assert_eq!(log, Vec::<String>::new(), "{who}'s browser log");
    assert_eq!(
        page_errors(&browser.client).await,
        Vec::<Value>::new(),
        "{who}'s page"
    );
}

/// Controls without an accessible name, images without alt text, and
/// whether the page is wider than the window (it must fit a phone).
async fn accessibility_problems(client: &Client) -> Value {
    js(
        client,
        r#"
        const problems = [];
        for (const e of document.querySelectorAll('input, textarea, select')) {
          if (e.labels.length === 0 && !e.getAttribute('aria-label')) problems.push('unlabelled ' + e.id);
        }
        for (const e of document.querySelectorAll('button, a')) {
          if (!e.hidden && e.textContent.trim() === '' && !e.getAttribute('aria-label')) problems.push('nameless ' + e.outerHTML);
        }
        for (const e of document.querySelectorAll('img')) {
          if (!e.hidden && !e.alt) problems.push('no alt ' + e.src);
        }
        if (document.documentElement.scrollWidth > window.innerWidth) problems.push('wider than the window');
        return problems;
        "#,
    )
    .await
}

async fn sign_up(client: &Client, username: &str) {
    fill(client, "#signup-username", username).await;
    fill(client, "#signup-email", &format!("{username}@example.com")).await;
    fill(client, "#signup-password", "correct horse battery").await;
    click(client, "#signup-submit").await;
}

/// A real PNG (an evening sky with a sun) that browsers display.
fn picture(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let (sun_x, sun_y, sun_r) = (
        width as f32 * 0.62,
        height as f32 * 0.58,
        height as f32 * 0.16,
    );
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        let t = y as f32 / height as f32;
        for x in 0..width {
            let (dx, dy) = (x as f32 - sun_x, y as f32 - sun_y);
            let rgb = if y as f32 > height as f32 * 0.7 {
                [30, (60.0 + 40.0 * t) as u8, (110.0 + 50.0 * t) as u8]
            } else if dx * dx + dy * dy < sun_r * sun_r {
                [255, 214, 102]
            } else {
                [
                    (250.0 - 90.0 * t) as u8,
                    (140.0 - 90.0 * t) as u8,
                    (90.0 + 60.0 * t) as u8,
                ]
            };
            pixels.extend_from_slice(&rgb);
        }
    }
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// A PNG of noise, which does not compress: about `width * height * 3`
/// bytes.
fn noise(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().unwrap();
    let mut state: u32 = 0x9e37_79b9;
    let pixels: Vec<u8> = (0..width * height * 3)
        .map(|_| {
            // xorshift32: deterministic, no dependency.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// The session cookie's value in `client`'s browser (WebDriver can read
/// HttpOnly cookies; page script cannot).
async fn session_cookie(client: &Client) -> String {
    let cookie = client.get_named_cookie("minigram_session").await.unwrap();
    assert_eq!(cookie.http_only(), Some(true));
    format!("minigram_session={}", cookie.value())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_sign_up_post_follow_like_and_log_out() {
    let app = spawn_app(Backend::Embedded).await;
    tokio::time::timeout(SCENARIO, scenario(&app))
        .await
        .expect("the browser scenario finishes in time");
}

async fn scenario(app: &TestApp) {
    let driver = Chromedriver::start().await;
    let alice = driver.session(1100, 900).await;
    let bob = driver.session(375, 740).await;
    let (a, b) = (&alice.client, &bob.client);
    let files = tempfile::tempdir().unwrap();

    // Signed out: the sign-up and log-in forms.
    open(a, &app.url, "#signup").await;
    screenshot(a, "signed-out").await;
    sign_up(a, "alice").await;
    until_text(a, "main h1", "Your feed").await;
    let alice_id = js(
        a,
        "return JSON.parse(localStorage.getItem('minigram.user')).id",
    )
    .await;
    // The token is not where page script can read it.
    assert_eq!(js(a, "return document.cookie").await, json!(""));
    assert!(
        !js(a, "return JSON.stringify(localStorage)")
            .await
            .to_string()
            .contains("eyJ"),
        "a token in localStorage"
    );

    // Bob picks a taken name first: the 409 is explained at the username.
    open(b, &app.url, "#signup").await;
    screenshot(b, "signed-out-phone").await;
    sign_up(b, "alice").await;
    until_text(b, "#signup-username-error", "already taken").await;
    sign_up(b, "bob").await;
    until_text(b, "main h1", "Your feed").await;
    assert_quiet("bob", &bob, &["status of 409"]).await;

    // Alice: a file that is not an image is refused next to the picker.
    open(a, &format!("{}/#/post", app.url), "#photo-file").await;
    let fake = files.path().join("notes.png");
    tokio::fs::write(&fake, b"these are notes, not a picture")
        .await
        .unwrap();
    let picker = a.find(Locator::Css("#photo-file")).await.unwrap();
    picker.send_keys(fake.to_str().unwrap()).await.unwrap();
    click(a, "#photo-submit").await;
    until_text(a, "#photo-file-error", "not an image").await;
    screenshot(a, "upload-error").await;
    // Only the 415 the test provoked, as a failed load; nothing else.
    assert_quiet("alice", &alice, &["status of 415"]).await;

    // ...then a real photo with a hostile caption, previewed, posted.
    let photo = files.path().join("sunset.png");
    tokio::fs::write(&photo, picture(480, 320)).await.unwrap();
    let picker = a.find(Locator::Css("#photo-file")).await.unwrap();
    picker.send_keys(photo.to_str().unwrap()).await.unwrap();
    until(
        a,
        "the preview",
        "const p = document.querySelector('.preview'); return !p.hidden && p.complete && p.naturalWidth > 0",
    )
    .await;
    fill(a, "#photo-caption", HOSTILE_CAPTION).await;
    click(a, "#photo-submit").await;
    until_text(a, "main h1", "Your feed").await;
    until_text(a, ".photo .caption", "Sunset over the bay").await;

    // Bob follows Alice from her profile and sees the photo at home.
    open(b, &format!("{}/#/u/{alice_id}", app.url), "#follow").await;
    until_text(b, "#follow", "Follow alice").await;
    click(b, "#follow").await;
    until_text(b, "#follow", "Unfollow alice").await;
    until_text(b, ".followers", "1 follower").await;
    until(
        b,
        "alice's photo on her profile",
        "return !!document.querySelector('.photo img')",
    )
    .await;
    screenshot(b, "profile").await;
    click(b, "nav a[href='#/']").await;
    until_text(b, ".photo .caption", "Sunset over the bay").await;
    until(
        b,
        "the photo to load",
        "const i = document.querySelector('.photo img'); return i.complete && i.naturalWidth === 480",
    )
    .await;

    // The caption is text: shown as typed, no element made, no script run.
    assert_eq!(
        js(
            b,
            "return document.querySelector('.photo .caption').textContent"
        )
        .await,
        json!(HOSTILE_CAPTION)
    );
    assert_eq!(
        js(b, "return [typeof window.__pwned, document.querySelectorAll('img[src=\"x\"], main script').length]").await,
        json!(["undefined", 0])
    );
    assert_eq!(
        js(b, "return document.querySelector('.photo img').alt").await,
        json!(HOSTILE_CAPTION)
    );

    // Like: the count changes in place.
    until_text(b, ".photo .likes", "0 likes").await;
    click(b, ".photo .like").await;
    until_text(b, ".photo .likes", "1 like").await;
    assert_eq!(
        js(
            b,
            "return document.querySelector('.photo .like').getAttribute('aria-pressed')"
        )
        .await,
        json!("true")
    );
    screenshot(b, "feed-phone").await;
    open(a, &format!("{}/#/global", app.url), ".photo").await;
    until_text(a, ".photo .likes", "1 like").await;
    screenshot(a, "feed").await;

    for (who, client) in [("alice", a), ("bob", b)] {
        assert_eq!(accessibility_problems(client).await, json!([]), "{who}");
    }

    // Infinite scroll: with more photos than a page (10), scrolling to the
    // end fetches the next page by its cursor, until there is none.
    let alice_token = session_cookie(a).await.replace("minigram_session=", "");
    for n in 2..=12 {
        let posted = app
            .upload_to(
                "/api/photos",
                &alice_token,
                picture(48, 32),
                &format!("photo {n}"),
            )
            .await;
        assert_eq!(posted.status(), StatusCode::CREATED);
    }
    open(a, &format!("{}/#/global", app.url), ".photo").await;
    until(
        a,
        "the first page",
        "return document.querySelectorAll('.photo').length === 10",
    )
    .await;
    js(
        a,
        "window.scrollTo(0, document.body.scrollHeight); return true",
    )
    .await;
    until(
        a,
        "the second page",
        "return document.querySelectorAll('.photo').length === 12",
    )
    .await;
    until(
        a,
        "no more pages",
        "return document.querySelector('.more').hidden",
    )
    .await;
    assert_eq!(
        js(a, "return [...document.querySelectorAll('.photo .caption')].map((c) => c.textContent).slice(0, 2)").await,
        json!(["photo 12", "photo 11"]),
        "newest first, each once"
    );

    // A cross-site write carrying Bob's cookie is refused; the cookie
    // itself still works.
    let cookie = session_cookie(b).await;
    let photo_id = js(b, "return document.querySelector('.photo').dataset.photoId").await;
    let unlike = format!("/api/photos/{}/like", photo_id.as_str().unwrap());
    let forged = with_cookie(
        app,
        Method::DELETE,
        &unlike,
        &cookie,
        Some("http://attacker.example"),
    )
    .await;
    assert_error(forged, StatusCode::FORBIDDEN, "csrf_rejected").await;
    let feed = with_cookie(app, Method::GET, "/api/feed", &cookie, None).await;
    assert_eq!(feed.status(), StatusCode::OK);

    assert_quiet("alice", &alice, &[]).await;
    assert_quiet("bob", &bob, &[]).await;

    // Logout ends the session: the old cookie no longer works.
    click(b, "#logout").await;
    until(
        b,
        "the sign-in page",
        "return !!document.querySelector('#login')",
    )
    .await;
    until_text(b, "main .notice", "logged out").await;
    let after = with_cookie(app, Method::GET, "/api/feed", &cookie, None).await;
    assert_error(after, StatusCode::UNAUTHORIZED, "token_revoked").await;
    assert!(
        b.get_named_cookie("minigram_session").await.is_err(),
        "the browser dropped the cookie"
    );
    assert_quiet("bob", &bob, &[]).await;

    alice.client.close().await.unwrap();
    bob.client.close().await.unwrap();
}

/// Drops a 24 x 16 PNG (drawn on a canvas) on the upload view's drop zone,
/// as a drag from the desktop would; calls back when dispatched.
const DROP_PICTURE: &str = r#"
    const done = arguments[arguments.length - 1];
    const canvas = document.createElement('canvas');
    canvas.width = 24;
    canvas.height = 16;
    const paint = canvas.getContext('2d');
    paint.fillStyle = '#c2185b';
    paint.fillRect(0, 0, 24, 16);
    canvas.toBlob((blob) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], 'dropped.png', { type: 'image/png' }));
      const zone = document.querySelector('.drop');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      done(true);
    }, 'image/png');
"#;

/// The upload limit (bytes) and the login quota (sign-ins per username
/// in a burst) of `limits_are_explained`.
const SMALL_UPLOAD: usize = 4096;
const LOGIN_BURST: u32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_and_login_limits_are_explained_where_they_bite() {
    let app = spawn_with(Backend::Embedded, |c| {
        c.http.max_upload_bytes = SMALL_UPLOAD;
        c.rate_limits.include_loopback = true;
        c.rate_limits.auth_user_per_minute = 1;
        c.rate_limits.auth_user_burst = LOGIN_BURST;
        c.rate_limits.auth_ip_per_minute = 100_000;
        c.rate_limits.auth_ip_burst = 100_000;
    })
    .await;
    tokio::time::timeout(SCENARIO, limits_are_explained(&app))
        .await
        .expect("the browser scenario finishes in time");
}

async fn limits_are_explained(app: &TestApp) {
    // One of carol's three quick sign-ins.
    app.register("carol").await;
    let driver = Chromedriver::start().await;
    let carol = driver.session(375, 740).await;
    let c = &carol.client;
    let files = tempfile::tempdir().unwrap();

    // The second.
    open(c, &app.url, "#login").await;
    fill(c, "#login-username", "carol").await;
    fill(c, "#login-password", "correct horse battery").await;
    click(c, "#login-submit").await;
    until_text(c, "main h1", "Your feed").await;

    // Too large: said at once, and again by the server's 413 if sent.
    open(c, &format!("{}/#/post", app.url), "#photo-file").await;
    until_text(c, ".field .hint", "at most 4 KB").await;
    let big = files.path().join("big.png");
    tokio::fs::write(&big, noise(64, 64)).await.unwrap();
    let picker = c.find(Locator::Css("#photo-file")).await.unwrap();
    picker.send_keys(big.to_str().unwrap()).await.unwrap();
    until_text(c, "#photo-file-error", "photos can be at most 4 KB").await;
    click(c, "#photo-submit").await;
    until_text(c, "#photo-file-error", "That file is too large").await;
    screenshot(c, "upload-too-large").await;
    assert_eq!(
        js(
            c,
            "return document.querySelectorAll('.preview:not([hidden])').length"
        )
        .await,
        json!(0),
        "no preview of a refused file"
    );

    // A small picture dropped on the drop zone is previewed and posts.
    c.execute_async(DROP_PICTURE, vec![]).await.unwrap();
    until(
        c,
        "the dropped picture's preview",
        "const p = document.querySelector('.preview'); return !p.hidden && p.complete && p.naturalWidth === 24",
    )
    .await;
    assert_eq!(
        js(
            c,
            "return document.querySelector('#photo-file').files[0].name"
        )
        .await,
        json!("dropped.png")
    );
    fill(c, "#photo-caption", "dropped in").await;
    click(c, "#photo-submit").await;
    until_text(c, ".photo .caption", "dropped in").await;

    // A wrong password (the third sign-in), then one too many: 429, with
    // when to retry, under the form's button.
    click(c, "#logout").await;
    until(
        c,
        "the log-in form",
        "return !!document.querySelector('#login')",
    )
    .await;
    fill(c, "#login-username", "carol").await;
    fill(c, "#login-password", "not the password").await;
    click(c, "#login-submit").await;
    until_text(c, "#login-error", "Wrong username or password").await;
    click(c, "#login-submit").await;
    until_text(c, "#login-error", "Too many attempts").await;
    until_text(c, "#login-error", "Try again in").await;
    screenshot(c, "rate-limited").await;
    assert_quiet(
        "carol",
        &carol,
        &["status of 413", "status of 401", "status of 429"],
    )
    .await;
    carol.client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_draws_live_charts_after_traffic() {
    let app = spawn_app(Backend::Embedded).await;
    tokio::time::timeout(SCENARIO, dashboard(&app))
        .await
        .expect("the dashboard scenario finishes in time");
}

async fn dashboard(app: &TestApp) {
    // Traffic over a few of the sampler's one-second ticks: feed reads and
    // one bad request each time.
    let user = app.register("watcher").await;
    for _ in 0..4 {
        for _ in 0..25 {
            assert_eq!(
                app.get("/api/feed", &user.token).await.status(),
                StatusCode::OK
            );
        }
        let bad = app.get("/api/feed?limit=abc", &user.token).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let driver = Chromedriver::start().await;
    let browser = driver.session(1280, 1000).await;
    let c = &browser.client;
    open(c, &app.at("/dashboard"), "#chart-requests").await;
    until_text(c, "#dashboard-status", "samples, one a second").await;
    // The charts that have data on the embedded store draw it.
    for id in [
        "requests", "errors", "latency", "routes", "hasher", "writer", "cache",
    ] {
        let script = format!(
            "return document.querySelectorAll('#chart-{id} polyline, #chart-{id} circle').length > 0"
        );
        until(c, &format!("the {id} chart to draw"), &script).await;
    }
    // Non-zero data: the request chart's scale is above the empty one's
    // (1 /s), and the busiest route is the feed.
    let top = js(
        c,
        "const labels = [...document.querySelectorAll('#chart-requests text.axis')]; \
         return parseFloat(labels[2].textContent);",
    )
    .await;
    assert!(
        top.as_f64().unwrap() > 1.0,
        "request chart's top label: {top}"
    );
    until_text(c, "#chart-routes ~ ul.legend", "GET /api/feed").await;
    until_text(c, "#dashboard-instance", "store embedded").await;
    // What the embedded store has none of says so.
    until_text(c, "#chart-pool ~ p.empty", "No PostgreSQL pool").await;
    screenshot(c, "dashboard").await;
    assert_quiet("the dashboard", &browser, &[]).await;
}
