//! SpiffWorkflow beside us: the same seven-step process as BPMN (`spiff/lifecycle.bpmn`),
//! executed by SpiffWorkflow from PyPI with its state persisted per step (`spiff/lifecycle.py`).
//!
//! Both files are built into the binary and written to a scratch directory for the run. The
//! venv is made once, with the pinned version, in `YIWANG_SPIFF_VENV` (default:
//! `~/.cache/yiwang/spiffworkflow-VERSION`); it needs python3 and PyPI.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use serde::Deserialize;

/// The SpiffWorkflow release we compare with.
pub const VERSION: &str = "3.2.0";
const BPMN: &str = include_str!("spiff/lifecycle.bpmn");
const SCRIPT: &str = include_str!("spiff/lifecycle.py");

/// What the Python side prints.
#[derive(Debug, Deserialize)]
pub struct Measured {
    pub version: String,
    pub lifecycles: usize,
    pub events: u64,
    pub workers: usize,
    pub seconds: f64,
    pub cpu_seconds: f64,
    pub p50_step_ms: f64,
    pub p99_step_ms: f64,
}

impl Measured {
    pub fn per_second(&self) -> f64 {
        self.lifecycles as f64 / self.seconds
    }
}

/// Runs `cases` lifecycles in SpiffWorkflow on a fresh SQLite file beside the current directory.
pub async fn run(cases: usize) -> anyhow::Result<Measured> {
    let venv = venv().await?;
    let scratch = tempfile::Builder::new().prefix("yiwang-bench-spiff-").tempdir_in(std::env::current_dir()?)?;
    let (bpmn, script) = (scratch.path().join("lifecycle.bpmn"), scratch.path().join("lifecycle.py"));
    std::fs::write(&bpmn, BPMN)?;
    std::fs::write(&script, SCRIPT)?;
    let out = tokio::process::Command::new(venv.join("bin/python"))
        .arg(&script)
        .arg("--bpmn")
        .arg(&bpmn)
        .arg("--db")
        .arg(scratch.path().join("spiff.db"))
        .arg("--cases")
        .arg(cases.to_string())
        .arg("--workers")
        .arg(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).to_string())
        .stderr(Stdio::inherit())
        .output()
        .await
        .context("starting python")?;
    if !out.status.success() {
        bail!("the SpiffWorkflow run failed ({})", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let m: Measured = serde_json::from_str(text.trim()).with_context(|| format!("reading its output: {text}"))?;
    if m.lifecycles != cases || m.events != cases as u64 * super::lifecycle::EVENTS_PER_LIFECYCLE {
        bail!("SpiffWorkflow completed {} of {cases} lifecycles with {} events", m.lifecycles, m.events);
    }
    Ok(m)
}

/// The venv with SpiffWorkflow, made on first use.
async fn venv() -> anyhow::Result<PathBuf> {
    let dir = match std::env::var_os("YIWANG_SPIFF_VENV") {
        Some(d) => PathBuf::from(d),
        None => {
            let home = std::env::var_os("HOME").context("HOME is not set; set YIWANG_SPIFF_VENV")?;
            Path::new(&home).join(".cache/yiwang").join(format!("spiffworkflow-{VERSION}"))
        }
    };
    if dir.join("bin/python").exists() {
        let check = tokio::process::Command::new(dir.join("bin/python"))
            .args(["-c", &format!("import importlib.metadata as m; assert m.version('SpiffWorkflow') == '{VERSION}'")])
            .stderr(Stdio::null())
            .status()
            .await?;
        if check.success() {
            return Ok(dir);
        }
    }
    println!("spiff:   making a venv with SpiffWorkflow {VERSION} in {} (once)", dir.display());
    let step = |program: PathBuf, args: Vec<String>| async move {
        let status = tokio::process::Command::new(&program)
            .args(&args)
            .stdout(Stdio::null())
            .status()
            .await
            .with_context(|| format!("running {}", program.display()))?;
        if !status.success() {
            bail!("{} {} failed ({status})", program.display(), args.join(" "));
        }
        Ok(())
    };
    step("python3".into(), vec!["-m".into(), "venv".into(), dir.display().to_string()]).await?;
    step(dir.join("bin/pip"), vec!["install".into(), "-q".into(), format!("SpiffWorkflow=={VERSION}")]).await?;
    Ok(dir)
}
