//! Records the short git commit of the build for INFO's and /varz's `git_commit`.

fn main() {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "0000000".to_string());
    println!("cargo:rustc-env=JETMIRROR_GIT_COMMIT={commit}");
}
