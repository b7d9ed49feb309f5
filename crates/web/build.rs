//! Builds the front end (`web/`) with npm into this crate's OUT_DIR, where `rust-embed` takes it
//! from: the built files are never committed, and every `cargo build` has a front end that
//! matches its sources.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let web = manifest.join("../../web").canonicalize().expect("the web/ folder beside crates/");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("dist");

    for input in ["src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"]
    {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }

    if stale(&web.join("package-lock.json"), &web.join("node_modules/.package-lock.json")) {
        npm(&web, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    // `build` type-checks (vue-tsc) and bundles (vite) into `out`.
    npm(&web, &["run", "build", "--", "--outDir", out.to_str().unwrap(), "--emptyOutDir"]);
}

/// Whether `installed` is missing or older than `lock`.
fn stale(lock: &Path, installed: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(lock), modified(installed)) {
        (Some(lock), Some(installed)) => installed < lock,
        _ => true,
    }
}

fn npm(dir: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(dir).status().unwrap_or_else(|e| {
        panic!(
            "yiwang's web interface is built with npm, which did not start ({e}).\n\
             Install Node.js 20 or later with npm (https://nodejs.org), then build again."
        )
    });
    assert!(status.success(), "`npm {}` in web/ failed ({status}); its output is above", args.join(" "));
}
