//! Which request a rule hits. One lock over all counters, so that the
//! outcome depends only on the order requests arrive in, whatever the
//! number of threads.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{FaultKind, FaultRule, Faults, ROW_METHODS, When};

/// What to do with one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// A rule hit it.
    Fault(FaultKind),
    /// A `ban` rule's threshold was passed earlier.
    Banned,
}

/// The rules and their counters.
#[derive(Debug)]
pub(crate) struct Injector {
    rules: Vec<FaultRule>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Requests each rule counted (its method matched and no earlier rule
    /// answered them).
    seen: Vec<u64>,
    /// Arrival times within the last minute, per `ban` rule.
    hits: Vec<VecDeque<Instant>>,
    banned: bool,
}

/// REDCap counts the hits of the last minute (`Logging::storeHashedIp`).
const WINDOW: Duration = Duration::from_secs(60);

impl Injector {
    pub(crate) fn new(faults: &Faults) -> Injector {
        let n = faults.rules.len();
        Injector {
            rules: faults.rules.clone(),
            state: Mutex::new(State {
                seen: vec![0; n],
                hits: vec![VecDeque::new(); n],
                banned: false,
            }),
        }
    }

    /// The action for a request to `method` (`None` when the request names
    /// no method of the spec) arriving at `now`.
    ///
    /// A ban, once in force, answers everything. Otherwise every `ban`
    /// rule notes the request; the request that passes the threshold is
    /// still answered, as REDCap records the ban while serving it and
    /// refuses from the next one on. Then the other rules are offered the
    /// request in order: each counts it if its method matches, and the
    /// first whose count is due answers it; later rules do not see it.
    pub(crate) fn decide(&self, method: Option<&str>, now: Instant) -> Option<Action> {
        if self.rules.is_empty() {
            return None;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.banned {
            return Some(Action::Banned);
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if let FaultKind::Ban { per_minute } = rule.kind
                && matches(rule, method)
            {
                let hits = &mut state.hits[i];
                while hits
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= WINDOW)
                {
                    hits.pop_front();
                }
                hits.push_back(now);
                if hits.len() as u64 > per_minute {
                    state.banned = true;
                }
            }
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let Some(when) = rule.when else { continue };
            if !matches(rule, method) {
                continue;
            }
            state.seen[i] += 1;
            // Requests within `after` pass on to later rules.
            let Some(n) = state.seen[i].checked_sub(rule.after).filter(|n| *n > 0) else {
                continue;
            };
            let due = match when {
                When::Every(every) => n.is_multiple_of(every),
                When::Times(times) => n <= times,
            };
            if due {
                return Some(Action::Fault(rule.kind.clone()));
            }
        }
        None
    }
}

fn matches(rule: &FaultRule, method: Option<&str>) -> bool {
    match (&rule.method, &rule.kind) {
        (Some(wanted), _) => method == Some(wanted.as_str()),
        (None, FaultKind::DropRecords { .. }) => method.is_some_and(|m| ROW_METHODS.contains(&m)),
        (None, _) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(injector: &Injector, methods: &[Option<&str>]) -> Vec<Option<&'static str>> {
        let now = Instant::now();
        methods
            .iter()
            .map(|m| match injector.decide(*m, now) {
                Some(Action::Fault(kind)) => Some(kind.name()),
                Some(Action::Banned) => Some("banned"),
                None => None,
            })
            .collect()
    }

    #[test]
    fn earlier_rules_take_requests_from_later_ones() {
        let faults = Faults::none()
            .rule(FaultRule::new(FaultKind::Html).times(1))
            .rule(
                FaultRule::new(FaultKind::Status {
                    status: 500,
                    message: None,
                })
                .times(1),
            )
            .rule(FaultRule::new(FaultKind::DropRecords { count: 1 }).every(2));
        let injector = Injector::new(&faults);
        let r = Some("export_records");
        let v = Some("export_version");
        assert_eq!(
            kinds(&injector, &[r, v, v, r, r, r, None]),
            [
                Some("html"),
                Some("status"),
                None,
                None,
                Some("drop_records"),
                None,
                None
            ]
        );
    }

    #[test]
    fn after_lets_the_first_requests_through_to_later_rules() {
        let faults = Faults::none()
            .rule(FaultRule::new(FaultKind::Html).times(1).after(2))
            .rule(
                FaultRule::new(FaultKind::Status {
                    status: 503,
                    message: None,
                })
                .times(1),
            );
        let injector = Injector::new(&faults);
        let m = Some("export_records");
        assert_eq!(
            kinds(&injector, &[m, m, m, m]),
            [Some("status"), None, Some("html"), None]
        );
    }

    #[test]
    fn ban_lets_the_crossing_request_through_then_refuses_all() {
        let faults = Faults::none().rule(FaultRule::new(FaultKind::Ban { per_minute: 2 }));
        let injector = Injector::new(&faults);
        let m = Some("export_version");
        assert_eq!(
            kinds(&injector, &[m, m, m, m, None]),
            [None, None, None, Some("banned"), Some("banned")]
        );
    }

    #[test]
    fn ban_forgets_hits_older_than_a_minute() {
        let faults = Faults::none().rule(FaultRule::new(FaultKind::Ban { per_minute: 1 }));
        let injector = Injector::new(&faults);
        let start = Instant::now();
        assert_eq!(injector.decide(None, start), None);
        assert_eq!(injector.decide(None, start + WINDOW), None);
        assert_eq!(injector.decide(None, start + WINDOW * 2), None);
        assert_eq!(injector.decide(None, start + WINDOW * 2), None);
        assert_eq!(
            injector.decide(None, start + WINDOW * 2),
            Some(Action::Banned)
        );
    }
}
