//! Client authentication: checks CONNECT credentials against the configured authorization
//! (a single user/password, a token, or a users list), as nats-server does for one account.

use std::sync::Arc;

use jetmirror_config::Options;

use crate::permissions::Permissions;

/// Credentials a client presented in CONNECT.
#[derive(Debug, Default, Clone)]
pub struct Credentials {
    pub user: Option<String>,
    pub pass: Option<String>,
    pub auth_token: Option<String>,
}

/// What the configured authorization requires.
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    token: Option<String>,
    single: Option<(String, String)>,
    users: Vec<(String, String, Option<Arc<Permissions>>)>,
    no_auth_user: Option<String>,
}

/// The identity a connection was authenticated as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub user: Option<String>,
    pub permissions: Option<Arc<Permissions>>,
}

impl Authenticator {
    pub fn from_options(opts: &Options) -> Self {
        let a = &opts.auth;
        let single = match (&a.user, &a.password) {
            (Some(u), p) => Some((u.clone(), p.clone().unwrap_or_default())),
            _ => None,
        };
        let default_permissions = a.default_permissions.as_ref();
        Authenticator {
            token: a.token.clone(),
            single,
            users: a
                .users
                .iter()
                .map(|u| {
                    let perms = u
                        .permissions
                        .as_ref()
                        .or(default_permissions)
                        .map(|p| Arc::new(Permissions::from_config(p)));
                    (
                        u.user.clone(),
                        u.password.clone().unwrap_or_default(),
                        perms,
                    )
                })
                .collect(),
            no_auth_user: opts.no_auth_user.clone(),
        }
    }

    /// Whether any authorization is configured.
    pub fn configured(&self) -> bool {
        self.token.is_some() || self.single.is_some() || !self.users.is_empty()
    }

    /// The `auth_required` INFO flag: configured, unless a `no_auth_user` lets anyone in.
    pub fn required(&self) -> bool {
        self.configured() && self.no_auth_user.is_none()
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
        let presented_nothing =
            creds.user.is_none() && creds.pass.is_none() && creds.auth_token.is_none();
        if presented_nothing {
            if let Some(u) = &self.no_auth_user {
                let permissions = self
                    .users
                    .iter()
                    .find(|(name, _, _)| name == u)
                    .and_then(|(_, _, p)| p.clone());
                return Some(Identity {
                    user: Some(u.clone()),
                    permissions,
                });
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
                permissions: None,
            });
        }
        let name = creds.user.as_deref()?;
        let (u, p, perms) = self.users.iter().find(|(u, _, _)| u == name)?;
        check_password(p, creds.pass.as_deref().unwrap_or_default()).then(|| Identity {
            user: Some(u.clone()),
            permissions: perms.clone(),
        })
    }
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
}
