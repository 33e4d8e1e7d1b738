//! Test certificates made at test time with rcgen (nothing private is committed): a CA,
//! a server certificate for `localhost` and `127.0.0.1` signed by it, and a client
//! certificate signed by it, written as PEM files into a directory the caller owns.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// PEM files of one test PKI.
#[derive(Clone, Debug)]
pub struct TestCerts {
    /// The CA certificate (`ca_file` on both sides).
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl TestCerts {
    /// A `tls { }` block for a server with this PKI; `extra` goes inside the block
    /// (e.g. `verify: true`).
    pub fn server_tls_block(&self, extra: &str) -> String {
        format!(
            "tls {{\n  cert_file: {:?}\n  key_file: {:?}\n  ca_file: {:?}\n  {extra}\n}}\n",
            self.server_cert, self.server_key, self.ca
        )
    }
}

fn leaf_params(
    cn: &str,
    sans: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .context("certificate params")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.extended_key_usages = vec![usage];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    Ok(params)
}

/// Generates a CA, a server and a client certificate into `dir`. With `name`, the files
/// are prefixed by it, so one directory can hold two unrelated PKIs.
pub fn generate_certs(dir: &Path, name: &str) -> Result<TestCerts> {
    std::fs::create_dir_all(dir).context("creating the certificate dir")?;
    let ca_key = KeyPair::generate().context("CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).context("CA params")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("jetmirror test CA {name}"));
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params
        .self_signed(&ca_key)
        .context("self-signing the CA")?;

    let server_key = KeyPair::generate().context("server key")?;
    let server = leaf_params(
        "localhost",
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    )?
    .signed_by(&server_key, &ca, &ca_key)
    .context("signing the server certificate")?;

    let client_key = KeyPair::generate().context("client key")?;
    let client = leaf_params(
        "jetmirror test client",
        &["client.localhost"],
        ExtendedKeyUsagePurpose::ClientAuth,
    )?
    .signed_by(&client_key, &ca, &ca_key)
    .context("signing the client certificate")?;

    let path = |f: &str| dir.join(format!("{name}{f}"));
    let certs = TestCerts {
        ca: path("ca.pem"),
        server_cert: path("server-cert.pem"),
        server_key: path("server-key.pem"),
        client_cert: path("client-cert.pem"),
        client_key: path("client-key.pem"),
    };
    for (file, text) in [
        (&certs.ca, ca.pem()),
        (&certs.server_cert, server.pem()),
        (&certs.server_key, server_key.serialize_pem()),
        (&certs.client_cert, client.pem()),
        (&certs.client_key, client_key.serialize_pem()),
    ] {
        std::fs::write(file, text).with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(certs)
}
