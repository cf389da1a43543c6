//! minigram-server
