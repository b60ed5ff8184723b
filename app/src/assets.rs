//! The browser bundle's file names and how long a browser may keep each file.
//!
//! Trunk names the bundle after a hash of its content (`frontend-<hash>.js`,
//! `frontend-<hash>_bg.wasm`, `main-<hash>.css`; `filehash = true` in Trunk.toml). Its
//! post-build hook (`scripts/site-assets.mjs`) reads those names out of the page Trunk wrote
//! and records them in `pkg/assets.json`, next to a brotli and a gzip copy of each file. The
//! server reads that manifest once at start-up ([`Assets::load`]): the pages link the hashed
//! names, and a hashed name may be cached for a year because a new build is a new name.
//!
//! Without a manifest (a test run with no site built, or a site built before hashing) the
//! fixed names are used and nothing is cached for long.

use std::path::Path;

/// Where Trunk puts the bundle, under the site root (`public_url` in Trunk.toml).
pub const PKG_DIR: &str = "pkg";
/// The manifest the post-build hook writes into [`PKG_DIR`].
pub const MANIFEST: &str = "assets.json";

/// `Cache-Control` of a file whose name changes with its content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else that is static: ask again each time (an unchanged file
/// is a 304), so a new build is seen at once.
pub const REVALIDATE: &str = "no-cache";

#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Assets {
    /// The wasm-bindgen glue, e.g. `frontend-3f2a….js`.
    pub js: String,
    /// The WebAssembly, e.g. `frontend-3f2a…_bg.wasm`.
    pub wasm: String,
    /// The stylesheet, e.g. `main-9c1e….css`.
    pub css: String,
    /// True when the names came from the manifest (they carry a content hash).
    #[serde(skip, default = "hashed")]
    pub hashed: bool,
}

fn hashed() -> bool {
    true
}

impl Default for Assets {
    /// The fixed names of a build without hashing.
    fn default() -> Self {
        Assets {
            js: "frontend.js".into(),
            wasm: "frontend_bg.wasm".into(),
            css: "main.css".into(),
            hashed: false,
        }
    }
}

impl Assets {
    /// Reads `<site_root>/pkg/assets.json`. A missing or unreadable manifest is logged and
    /// gives the fixed names (the pages still work without JavaScript if those are absent).
    pub fn load(site_root: &Path) -> Self {
        let path = site_root.join(PKG_DIR).join(MANIFEST);
        match std::fs::read_to_string(&path) {
            Ok(text) => match Self::parse(&text) {
                Ok(assets) => assets,
                Err(why) => {
                    tracing::error!(path = %path.display(), %why, "unreadable asset manifest; using the unhashed names");
                    Self::default()
                }
            },
            Err(_) => {
                tracing::warn!(path = %path.display(), "no asset manifest (run `make site`); using the unhashed names");
                Self::default()
            }
        }
    }

    /// The manifest's JSON. Each name must be a plain file name (no path, no `..`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let assets: Assets = serde_json::from_str(text).map_err(|e| e.to_string())?;
        for name in [&assets.js, &assets.wasm, &assets.css] {
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && !name.starts_with('.');
            if !plain {
                return Err(format!("{name:?} is not a plain file name"));
            }
        }
        Ok(assets)
    }

    pub fn css_href(&self) -> String {
        format!("/{PKG_DIR}/{}", self.css)
    }

    pub fn js_href(&self) -> String {
        format!("/{PKG_DIR}/{}", self.js)
    }

    pub fn wasm_href(&self) -> String {
        format!("/{PKG_DIR}/{}", self.wasm)
    }

    /// The `Cache-Control` for a request path under `/pkg/`: a year for the bundle's hashed
    /// names, revalidate for anything else.
    pub fn cache_control(&self, path: &str) -> &'static str {
        let Some(name) = path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(PKG_DIR))
            .and_then(|p| p.strip_prefix('/'))
        else {
            return REVALIDATE;
        };
        if self.hashed && [&self.js, &self.wasm, &self.css].iter().any(|n| *n == name) {
            IMMUTABLE
        } else {
            REVALIDATE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST_TEXT: &str =
        r#"{"js":"frontend-ab12.js","wasm":"frontend-ab12_bg.wasm","css":"main-cd34.css"}"#;

    #[test]
    fn the_manifest_gives_hashed_names_cached_for_a_year() {
        let a = Assets::parse(MANIFEST_TEXT).unwrap();
        assert!(a.hashed);
        assert_eq!(a.css_href(), "/pkg/main-cd34.css");
        assert_eq!(a.wasm_href(), "/pkg/frontend-ab12_bg.wasm");
        assert_eq!(a.cache_control("/pkg/frontend-ab12.js"), IMMUTABLE);
        assert_eq!(a.cache_control("/pkg/frontend-ab12_bg.wasm"), IMMUTABLE);
        assert_eq!(a.cache_control("/pkg/main-cd34.css"), IMMUTABLE);
        // An old build's name, the manifest itself, or anything else: ask again.
        assert_eq!(a.cache_control("/pkg/frontend-0000.js"), REVALIDATE);
        assert_eq!(a.cache_control("/pkg/assets.json"), REVALIDATE);
        assert_eq!(a.cache_control("/favicon.ico"), REVALIDATE);
    }

    #[test]
    fn without_a_manifest_nothing_is_immutable() {
        let a = Assets::load(Path::new("/nonexistent-site-root"));
        assert_eq!(a, Assets::default());
        assert_eq!(a.cache_control("/pkg/frontend.js"), REVALIDATE);
        assert_eq!(a.js_href(), "/pkg/frontend.js");
    }

    #[test]
    fn a_manifest_naming_a_path_is_refused() {
        let bad = r#"{"js":"../../etc/passwd","wasm":"a_bg.wasm","css":"m.css"}"#;
        assert!(Assets::parse(bad).is_err());
        assert!(Assets::parse(r#"{"js":"a.js"}"#).is_err());
    }
}
