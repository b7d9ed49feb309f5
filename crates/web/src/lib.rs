//! The front end's files, built from `web/` by this crate's build script and embedded in the
//! binary (in debug builds they are read from the build folder, so a rebuilt front end shows
//! without relinking).
//!
//! Architecture invariant: knows nothing of HTTP; the server decides how to serve these.

use std::borrow::Cow;

#[derive(rust_embed::RustEmbed)]
#[folder = "$OUT_DIR/dist"]
struct Dist;

/// One built file.
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    /// Its MIME type, e.g. `text/javascript`.
    pub mime: String,
    /// Whether its name carries a content hash (Vite's `assets/…-<hash>.js`), so that it may be
    /// cached for ever.
    pub immutable: bool,
}

/// The file at `path` (without the leading slash), if the build has one.
pub fn asset(path: &str) -> Option<Asset> {
    let file = Dist::get(path)?;
    Some(Asset { bytes: file.data, mime: file.metadata.mimetype().to_owned(), immutable: path.starts_with("assets/") })
}

/// The single page that every front-end route is answered with.
pub fn index() -> Asset {
    asset("index.html").expect("the front-end build has an index.html")
}
