//! Client authentication: checks CONNECT credentials against the configured authorization
//! (a single user/password, a token, users and nkey users at the top level or inside
//! accounts) and says which account the connection is bound to, as nats-server does.
//! Nkey users sign the INFO `nonce`; the signature (base64url ed25519) is verified here.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use jetmirror_config::Options;

use crate::accounts::GLOBAL;
use crate::permissions::Permissions;

/// Credentials a client presented in CONNECT.
#[derive(Debug, Default, Clone)]
pub struct Credentials {
    pub user: Option<String>,
    pub pass: Option<String>,
    pub auth_token: Option<String>,
    pub nkey: Option<String>,
    pub sig: Option<String>,
    /// The nonce the connection's INFO carried (what an nkey user signs).
    pub nonce: String,
}

/// A configured user: password (or none for nkey users), permissions and account.
#[derive(Debug, Clone)]
struct UserEntry {
    password: String,
    permissions: Option<Arc<Permissions>>,
    account: String,
}

/// What the configured authorization requires.
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    token: Option<String>,
    single: Option<(String, String)>,
    users: HashMap<String, UserEntry>,
    nkeys: HashMap<String, UserEntry>,
    no_auth_user: Option<String>,
}

/// The identity a connection was authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: Option<String>,
    pub permissions: Option<Arc<Permissions>>,
    /// The account the connection is bound to.
    pub account: String,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            user: None,
            permissions: None,
            account: GLOBAL.to_string(),
        }
    }
}

impl Authenticator {
    pub fn from_options(opts: &Options) -> Self {
        let a = &opts.auth;
        let single = match (&a.user, &a.password) {
            (Some(u), p) => Some((u.clone(), p.clone().unwrap_or_default())),
            _ => None,
        };
        let default_permissions = a.default_permissions.as_ref();
        let perms = |p: Option<&jetmirror_config::Permissions>| {
            p.or(default_permissions)
                .map(|p| Arc::new(Permissions::from_config(p)))
        };
        let account_of = |acc: &Option<String>| acc.clone().unwrap_or_else(|| GLOBAL.to_string());
        let mut users = HashMap::new();
        let mut nkeys = HashMap::new();
        let account_users = opts.accounts.iter().flat_map(|acc| &acc.users);
        for u in a.users.iter().chain(account_users) {
            users.insert(
                u.user.clone(),
                UserEntry {
                    password: u.password.clone().unwrap_or_default(),
                    permissions: perms(u.permissions.as_ref()),
                    account: account_of(&u.account),
                },
            );
        }
        let account_nkeys = opts.accounts.iter().flat_map(|acc| &acc.nkeys);
        for n in a.nkeys.iter().chain(account_nkeys) {
            nkeys.insert(
                n.nkey.clone(),
                UserEntry {
                    password: String::new(),
                    permissions: perms(n.permissions.as_ref()),
                    account: account_of(&n.account),
                },
            );
        }
        Authenticator {
            token: a.token.clone(),
            single,
            users,
            nkeys,
            no_auth_user: opts.no_auth_user.clone(),
        }
    }

    /// Whether any authorization is configured.
    pub fn configured(&self) -> bool {
        self.token.is_some()
            || self.single.is_some()
            || !self.users.is_empty()
            || !self.nkeys.is_empty()
    }

    /// The `auth_required` INFO flag: configured, unless a `no_auth_user` lets anyone in.
    pub fn required(&self) -> bool {
        self.configured() && self.no_auth_user.is_none()
    }

    /// Whether INFO carries a nonce (nkey users exist).
    pub fn nonce_required(&self) -> bool {
        !self.nkeys.is_empty()
    }

    /// The user that a connection without credentials is bound to, if any.
    pub fn no_auth_user(&self) -> Option<&str> {
        self.no_auth_user.as_deref()
    }

    /// Checks CONNECT credentials. `None` means `Authorization Violation`.
    pub fn authenticate(&self, creds: &Credentials) -> Option<Identity> {
        if !self.configured() {
            return Some(Identity::default());
        }
        let presented_nothing = creds.user.is_none()
            && creds.pass.is_none()
            && creds.auth_token.is_none()
            && creds.nkey.is_none();
        if presented_nothing {
            if let Some(u) = &self.no_auth_user {
                if let Some(e) = self.users.get(u).or_else(|| self.nkeys.get(u)) {
                    return Some(Identity {
                        user: Some(u.clone()),
                        permissions: e.permissions.clone(),
                        account: e.account.clone(),
                    });
                }
            }
        }
        if let Some(token) = &self.token {
            let given = creds.auth_token.as_deref().unwrap_or_default();
            return check_password(token, given).then(Identity::default);
        }
        if let Some((u, p)) = &self.single {
            let ok = creds.user.as_deref() == Some(u.as_str())
                && check_password(p, creds.pass.as_deref().unwrap_or_default());
            return ok.then(|| Identity {
                user: Some(u.clone()),
                ..Identity::default()
            });
        }
        if let Some(nkey) = creds.nkey.as_deref().filter(|n| !n.is_empty()) {
            let e = self.nkeys.get(nkey)?;
            if !verify_nkey(nkey, &creds.nonce, creds.sig.as_deref()?) {
                return None;
            }
            return Some(Identity {
                user: Some(nkey.to_string()),
                permissions: e.permissions.clone(),
                account: e.account.clone(),
            });
        }
        let name = creds.user.as_deref()?;
        let e = self.users.get(name)?;
        check_password(&e.password, creds.pass.as_deref().unwrap_or_default()).then(|| Identity {
            user: Some(name.to_string()),
            permissions: e.permissions.clone(),
            account: e.account.clone(),
        })
    }
}

/// A fresh INFO nonce: 11 random bytes, base64url without padding (nats-server's 15
/// characters).
pub fn new_nonce() -> String {
    let raw: [u8; 11] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// Verifies an nkey user's signature of the nonce: base64url (or standard base64) ed25519.
fn verify_nkey(nkey: &str, nonce: &str, sig: &str) -> bool {
    let engines = [
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
        base64::engine::general_purpose::STANDARD,
    ];
    let Some(sig) = engines.iter().find_map(|e| e.decode(sig).ok()) else {
        return false;
    };
    let Ok(pair) = nkeys::KeyPair::from_public_key(nkey) else {
        return false;
    };
    pair.verify(nonce.as_bytes(), &sig).is_ok()
}

/// Compares a configured secret with a presented one: bcrypt hashes (`$2a$`, `$2b$`, ...)
/// are verified, plain secrets compared in constant time.
pub fn check_password(configured: &str, given: &str) -> bool {
    if configured.starts_with("$2") {
        return bcrypt::verify(given, configured).unwrap_or(false);
    }
    constant_time_eq(configured.as_bytes(), given.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_bcrypt_passwords() {
        assert!(check_password("s3cret", "s3cret"));
        assert!(!check_password("s3cret", "s3cre"));
        let hash = bcrypt::hash("pw", 4).unwrap_or_default();
        assert!(check_password(&hash, "pw"));
        assert!(!check_password(&hash, "nope"));
    }

    #[test]
    fn nkey_signature_of_the_nonce() {
        let user = nkeys::KeyPair::new_user();
        let nonce = new_nonce();
        assert_eq!(nonce.len(), 15);
        let sig = user.sign(nonce.as_bytes()).unwrap_or_default();
        let good = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sig);
        assert!(verify_nkey(&user.public_key(), &nonce, &good));
        assert!(!verify_nkey(&user.public_key(), "other-nonce", &good));
        let other = nkeys::KeyPair::new_user();
        assert!(!verify_nkey(&other.public_key(), &nonce, &good));
        assert!(!verify_nkey(&user.public_key(), &nonce, "!!not base64"));
    }
}
