//! The bundle's hashed names and caching, through the real router: the pages link the names
//! `pkg/assets.json` gives, those files are `immutable` for a year and come precompressed as
//! the browser accepts, and everything else is asked for again (`app::assets`).

use std::{collections::HashMap, sync::Arc};

use app::{config::Config, crypto::SecretKey, db::Backend, mailer::Mailer, testing::TestDb};
use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};

use crate::common::send;
use server::http::{app_state, router};

const JS: &str = "frontend-0123abcd.js";
const WASM: &str = "frontend-0123abcd_bg.wasm";
const CSS: &str = "main-4567ef.css";

/// A site root as `make site` leaves it: three hashed files, their .br and .gz copies (with
/// contents that tell them apart), the manifest, and a file Trunk did not hash.
fn site() -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("portal-site-{}", uuid::Uuid::new_v4()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for name in [JS, WASM, CSS] {
        std::fs::write(pkg.join(name), format!("raw {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), format!("br {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gz {name}")).unwrap();
    }
    std::fs::write(pkg.join("index.html"), "<!-- Trunk's page -->").unwrap();
    std::fs::write(
        pkg.join("assets.json"),
        format!(r#"{{"js":"{JS}","wasm":"{WASM}","css":"{CSS}"}}"#),
    )
    .unwrap();
    root
}

fn get(path: &str, accept_encoding: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path);
    if let Some(enc) = accept_encoding {
        req = req.header(header::ACCEPT_ENCODING, enc);
    }
    req.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn hashed_bundle_is_linked_cached_for_a_year_and_sent_precompressed() {
    let root = site();
    let t = TestDb::fresh(Backend::Sqlite).await;
    let vars = HashMap::from([(
        "PORTAL_SITE_ROOT".to_owned(),
        root.to_string_lossy().into_owned(),
    )]);
    let config = Arc::new(Config::from_vars(&vars).unwrap());
    let key = SecretKey::new(*b"test key, 32 bytes or more......").unwrap();
    let app = router(app_state(t.db.clone(), config, key, Mailer::dev()));

    // The page links the hashed names and is itself asked for again each time (`no-store`
    // where the session layer says so: a page that sets a cookie is not kept at all).
    let page = send(&app, get("/sign-in", None)).await;
    assert_eq!(page.status, StatusCode::OK);
    let cc = page.headers[header::CACHE_CONTROL].to_str().unwrap();
    assert!(cc == "no-cache" || cc == "no-store", "{cc}");
    let facilities = send(&app, get("/facilities", None)).await;
    assert_eq!(facilities.headers[header::CACHE_CONTROL], "no-cache");
    assert!(
        page.body.contains(&format!("href=\"/pkg/{CSS}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("import(\"/pkg/{JS}\")")));
    assert!(page
        .body
        .contains(&format!("module_or_path:\"/pkg/{WASM}\"")));
    assert!(!page.body.contains("frontend_bg.wasm") && !page.body.contains("main.css"));

    // Each file: brotli when the browser takes it, else gzip, else as built; always a year.
    for name in [JS, WASM, CSS] {
        let path = format!("/pkg/{name}");
        for (accept, encoding, body) in [
            (Some("gzip, deflate, br"), Some("br"), format!("br {name}")),
            (Some("gzip"), Some("gzip"), format!("gz {name}")),
            (None, None, format!("raw {name}")),
        ] {
            let res = send(&app, get(&path, accept)).await;
            assert_eq!(res.status, StatusCode::OK, "{path} {accept:?}");
            assert_eq!(
                res.headers[header::CACHE_CONTROL],
                "public, max-age=31536000, immutable",
                "{path}"
            );
            assert_eq!(
                res.headers
                    .get(header::CONTENT_ENCODING)
                    .map(|v| v.to_str().unwrap()),
                encoding,
                "{path} {accept:?}"
            );
            assert_eq!(
                res.body, body,
                "{path} {accept:?}: not compressed again per request"
            );
        }
    }
    let wasm = send(&app, get(&format!("/pkg/{WASM}"), Some("br"))).await;
    assert_eq!(wasm.headers[header::CONTENT_TYPE], "application/wasm");
    // A shared cache must keep the brotli, gzip and plain copies apart.
    assert_eq!(wasm.headers[header::VARY], "accept-encoding");
    let plain = send(&app, get(&format!("/pkg/{WASM}"), None)).await;
    assert_eq!(plain.headers[header::VARY], "accept-encoding");

    // Not named after its content: asked for again. A name no build made: 404, not cached.
    let manifest = send(&app, get("/pkg/assets.json", None)).await;
    assert_eq!(manifest.headers[header::CACHE_CONTROL], "no-cache");
    let old = send(&app, get("/pkg/frontend-ffff.js", Some("br"))).await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    assert!(old.headers.get(header::CACHE_CONTROL).is_none());
    std::fs::remove_dir_all(root).unwrap();
}
