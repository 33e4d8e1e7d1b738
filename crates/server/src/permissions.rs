//! Per-user publish and subscribe permissions (`permissions { publish, subscribe }` with
//! `allow` and `deny` lists), checked as nats-server does: an allow list, when present, must
//! match; a deny list overrules it; subscribe entries may name a queue (`"subject queue"`);
//! and a wildcard subscription that overlaps a deny entry has the denied subjects filtered
//! out at delivery.

use jetmirror_config::{Permissions as ConfigPermissions, SubjectPermission};
use jetmirror_subject::matches;

/// One allow or deny entry: a subject pattern and, for subscribe rules, an optional queue.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    subject: String,
    queue: Option<String>,
}

impl Rule {
    fn parse(entry: &str) -> Rule {
        let mut parts = entry.split_whitespace();
        let subject = parts.next().unwrap_or_default().to_string();
        let queue = parts.next().map(str::to_string);
        Rule { subject, queue }
    }
}

/// The allow/deny lists for one direction. `None` means "no list".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Rules {
    allow: Option<Vec<Rule>>,
    deny: Option<Vec<Rule>>,
}

impl Rules {
    fn from_config(p: Option<&SubjectPermission>) -> Rules {
        let list = |v: &Vec<String>| {
            (!v.is_empty()).then(|| v.iter().map(|e| Rule::parse(e)).collect::<Vec<_>>())
        };
        match p {
            None => Rules::default(),
            Some(p) => Rules {
                allow: list(&p.allow),
                deny: list(&p.deny),
            },
        }
    }
}

/// A queue name against the queue patterns of the matching rules (nats-server's
/// `queueMatches`: no queue rules means any queue).
fn queue_matches(queue: &str, rules: &[&Rule]) -> bool {
    let named: Vec<&str> = rules.iter().filter_map(|r| r.queue.as_deref()).collect();
    if named.is_empty() {
        return true;
    }
    named
        .iter()
        .any(|q| *q == queue || (has_wildcard(q) && matches(q, queue)))
}

fn has_wildcard(s: &str) -> bool {
    s.split('.').any(|t| t == "*" || t == ">")
}

/// A connection's permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    publish: Rules,
    subscribe: Rules,
}

impl Permissions {
    pub fn from_config(p: &ConfigPermissions) -> Permissions {
        Permissions {
            publish: Rules::from_config(p.publish.as_ref()),
            subscribe: Rules::from_config(p.subscribe.as_ref()),
        }
    }

    /// Whether publishing to the literal `subject` is allowed.
    pub fn can_publish(&self, subject: &str) -> bool {
        let hit = |rules: &Vec<Rule>| rules.iter().any(|r| matches(&r.subject, subject));
        let allowed = self.publish.allow.as_ref().is_none_or(hit);
        allowed && !self.publish.deny.as_ref().is_some_and(hit)
    }

    /// Whether `SUB subject [queue]` is allowed (the subscription subject is matched against
    /// the rules as a literal, as nats-server's `Sublist.Match` does).
    pub fn can_subscribe(&self, subject: &str, queue: Option<&str>) -> bool {
        let matching = |rules: &Vec<Rule>| -> (bool, Vec<Rule>) {
            let hits: Vec<&Rule> = rules
                .iter()
                .filter(|r| matches(&r.subject, subject))
                .collect();
            let plain = hits.iter().any(|r| r.queue.is_none());
            let queued: Vec<Rule> = hits
                .iter()
                .filter(|r| r.queue.is_some())
                .map(|r| (*r).clone())
                .collect();
            (plain, queued)
        };
        let mut allowed = true;
        if let Some(allow) = &self.subscribe.allow {
            let (plain, queued) = matching(allow);
            allowed = plain;
            if let Some(q) = queue {
                if !queued.is_empty() {
                    allowed = queue_matches(q, &queued.iter().collect::<Vec<_>>());
                }
            }
        }
        if allowed {
            if let Some(deny) = &self.subscribe.deny {
                let (plain, queued) = matching(deny);
                allowed = !plain;
                if allowed {
                    if let Some(q) = queue {
                        if !queued.is_empty() {
                            allowed = !queue_matches(q, &queued.iter().collect::<Vec<_>>());
                        }
                    }
                }
            }
        }
        allowed
    }

    /// Whether a message on `subject` may be delivered to this connection's subscriptions
    /// (the delivery-time filter for wildcard subscriptions overlapping a deny entry).
    pub fn can_deliver(&self, subject: &str) -> bool {
        !self.subscribe.deny.as_ref().is_some_and(|deny| {
            deny.iter()
                .any(|r| r.queue.is_none() && matches(&r.subject, subject))
        })
    }

    /// Whether delivery needs [`Permissions::can_deliver`] at all.
    pub fn filters_delivery(&self) -> bool {
        self.subscribe.deny.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(publish: (&[&str], &[&str]), subscribe: (&[&str], &[&str])) -> Permissions {
        let sp = |(a, d): (&[&str], &[&str])| {
            Some(SubjectPermission {
                allow: a.iter().map(|s| s.to_string()).collect(),
                deny: d.iter().map(|s| s.to_string()).collect(),
            })
        };
        Permissions::from_config(&ConfigPermissions {
            publish: sp(publish),
            subscribe: sp(subscribe),
            allow_responses: None,
        })
    }

    #[test]
    fn publish_allow_and_deny() {
        let p = perms((&["open.>"], &["open.secret"]), (&[], &[]));
        assert!(p.can_publish("open.x"));
        assert!(!p.can_publish("open.secret"));
        assert!(!p.can_publish("closed.x"));
    }

    #[test]
    fn subscribe_rules_with_queues() {
        let p = perms((&[], &[]), (&["foo.>", "bar workers"], &["foo.secret"]));
        assert!(p.can_subscribe("foo.x", None));
        assert!(p.can_subscribe("foo.*", None));
        assert!(!p.can_subscribe("foo.secret", None));
        assert!(p.can_subscribe("bar", Some("workers")));
        assert!(!p.can_subscribe("bar", Some("others")));
        assert!(!p.can_subscribe("baz", None));
        assert!(!p.can_deliver("foo.secret"));
        assert!(p.can_deliver("foo.x"));
    }
}
