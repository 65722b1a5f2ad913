//! The ledger: hold / settle / refund per request id, each error kind, idempotency, quota
//! policies, and a state-machine property test of the conservation invariant.

use std::collections::HashMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff::ledger::{AccountId, HoldPolicy, Ledger, LedgerError, QuotaUnits, RequestId, State};
use tariff::{Bill, Catalog, QuotaPolicy, Rounding, Usage};

/// $2 / $8 per 1M input / output tokens: at 500,000 units per USD, an input token is
/// 1 unit and an output token 4.
const TABLE: &str = r#"
provider = "acme"
currency = "USD"
[[model]]
id = "m"
[[model.price]]
from = 2025-01-01
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 2, output_tokens = 8 }
[[model]]
id = "yuan"
[[model.price]]
currency = "CNY"
from = 2025-01-01
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 2 }
"#;

fn catalog() -> Catalog {
    Catalog::builder()
        .text("test.toml", TABLE)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn bill_of(c: &Catalog, model: &str, input: u64, output: u64, estimated: bool) -> Bill {
    let json = format!(
        r#"{{"input_tokens":{input},"output_tokens":{output},"estimated":{estimated},"at":"2025-06-01T00:00:00Z"}}"#
    );
    c.quote(model, &Usage::from_json(&json).unwrap())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn bill(input: u64, output: u64) -> Bill {
    bill_of(&catalog(), "m", input, output, false)
}

fn acct(s: &str) -> AccountId {
    AccountId::from(s)
}

fn req(s: &str) -> RequestId {
    RequestId::from(s)
}

fn funded(units: u64) -> (Ledger, AccountId) {
    let mut l = Ledger::new(QuotaPolicy::new_api());
    let a = acct("alice");
    l.credit(&a, QuotaUnits(units));
    (l, a)
}

fn balanced(l: &Ledger, a: &AccountId) {
    let audit = l.audit(a).unwrap();
    assert!(audit.is_balanced(), "{audit:?}");
}

#[test]
fn full_bound_holds_the_whole_estimate() {
    let (mut l, a) = funded(100_000);
    let h = l
        .hold(&a, &req("r"), &bill(1000, 2000), HoldPolicy::FullBound)
        .unwrap();
    assert_eq!(h.held, QuotaUnits(9_000));
    assert_eq!(h.estimate.units, 9_000);
    assert!(!h.trusted);
    assert_eq!(l.balance(&a), Some(91_000));
    assert_eq!(l.state(&req("r")), Some(State::Held));
    balanced(&l, &a);
}

#[test]
fn prompt_only_holds_the_input_side() {
    let (mut l, a) = funded(100_000);
    let h = l
        .hold(&a, &req("r"), &bill(1000, 2000), HoldPolicy::PromptOnly)
        .unwrap();
    assert_eq!(h.held, QuotaUnits(1_000));
    assert_eq!(l.balance(&a), Some(99_000));
    balanced(&l, &a);
}

#[test]
fn skip_above_trust_holds_nothing_only_strictly_above_the_threshold() {
    let (mut l, a) = funded(10_000);
    let above = HoldPolicy::SkipAboveTrust {
        trust: QuotaUnits(9_999),
    };
    let h = l.hold(&a, &req("r1"), &bill(1000, 0), above).unwrap();
    assert!(h.trusted);
    assert_eq!(h.held, QuotaUnits(0));
    assert_eq!(h.estimate.units, 1_000, "the estimate is still recorded");
    assert_eq!(l.balance(&a), Some(10_000));

    // Balance equal to the threshold: not trusted, the full estimate is held.
    let at = HoldPolicy::SkipAboveTrust {
        trust: QuotaUnits(10_000),
    };
    let h = l.hold(&a, &req("r2"), &bill(1000, 0), at).unwrap();
    assert!(!h.trusted);
    assert_eq!(h.held, QuotaUnits(1_000));
    assert_eq!(l.balance(&a), Some(9_000));
    balanced(&l, &a);
}

#[test]
fn trust_does_not_bypass_the_balance_check() {
    // As in new-api: the balance must cover the estimate before the bypass is considered.
    let (mut l, a) = funded(100);
    let err = l
        .hold(
            &a,
            &req("r"),
            &bill(1000, 0),
            HoldPolicy::SkipAboveTrust {
                trust: QuotaUnits(10),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::InsufficientBalance { .. }),
        "{err}"
    );
    assert_eq!(l.state(&req("r")), None);
}

#[test]
fn insufficient_balance_is_typed_and_changes_nothing() {
    let (mut l, a) = funded(999);
    let err = l
        .hold(&a, &req("r"), &bill(1000, 0), HoldPolicy::FullBound)
        .unwrap_err();
    assert_eq!(
        err,
        LedgerError::InsufficientBalance {
            account: a.clone(),
            needed: QuotaUnits(1000),
            available: 999,
        }
    );
    assert_eq!(l.balance(&a), Some(999));
    assert_eq!(l.state(&req("r")), None);
    // A zero balance refuses even a free request; an unknown account has nothing.
    let (mut l, a) = funded(0);
    assert!(l
        .hold(&a, &req("r"), &bill(0, 0), HoldPolicy::FullBound)
        .is_err());
    let err = l
        .hold(
            &acct("ghost"),
            &req("r"),
            &bill(1, 0),
            HoldPolicy::FullBound,
        )
        .unwrap_err();
    assert!(matches!(
        err,
        LedgerError::InsufficientBalance { available: 0, .. }
    ));
    assert_eq!(l.balance(&acct("ghost")), None);
}

#[test]
fn settle_charges_actual_and_gives_back_the_difference() {
    let (mut l, a) = funded(100_000);
    l.hold(&a, &req("r"), &bill(1000, 4000), HoldPolicy::FullBound)
        .unwrap();
    let s = l.settle(&req("r"), &bill(1000, 500)).unwrap();
    assert_eq!(s.held, QuotaUnits(17_000));
    assert_eq!(s.charged.units, 3_000);
    assert_eq!(s.delta, -14_000);
    assert!(!s.estimated);
    assert_eq!(l.balance(&a), Some(97_000));
    assert_eq!(l.state(&req("r")), Some(State::Settled));
    assert_eq!(l.settlement_of(&req("r")), Some(&s));
    balanced(&l, &a);
}

#[test]
fn settle_above_the_hold_may_take_the_balance_negative() {
    // The upstream already served the request: the charge is owed, never dropped.
    let (mut l, a) = funded(1_000);
    l.hold(&a, &req("r"), &bill(1000, 4000), HoldPolicy::PromptOnly)
        .unwrap();
    let s = l.settle(&req("r"), &bill(1000, 4000)).unwrap();
    assert_eq!(s.delta, 16_000);
    assert_eq!(l.balance(&a), Some(-16_000));
    balanced(&l, &a);
    // And the next hold is refused.
    assert!(matches!(
        l.hold(&a, &req("r2"), &bill(0, 0), HoldPolicy::FullBound),
        Err(LedgerError::InsufficientBalance { .. })
    ));
}

#[test]
fn estimated_settlement_is_recorded_as_estimated() {
    let c = catalog();
    let (mut l, a) = funded(100_000);
    l.hold(&a, &req("r"), &bill(1000, 4000), HoldPolicy::FullBound)
        .unwrap();
    let est = bill_of(&c, "m", 1000, 300, true);
    assert!(est.estimated());
    let s = l.settle(&req("r"), &est).unwrap();
    assert!(s.estimated);
    assert_eq!(s.charged.units, 2_200);
    // A later "real" settle of the same amount is a conflict, not a silent relabel.
    let err = l
        .settle(&req("r"), &bill_of(&c, "m", 1000, 300, false))
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::ConflictingSettle { .. }),
        "{err}"
    );
    assert!(l.settlement_of(&req("r")).unwrap().estimated);
}

#[test]
fn settle_without_hold_is_an_error() {
    let (mut l, a) = funded(100);
    assert_eq!(
        l.settle(&req("r"), &bill(1, 0)).unwrap_err(),
        LedgerError::NoHold { request: req("r") }
    );
    assert_eq!(l.state(&req("r")), None);
    assert_eq!(l.balance(&a), Some(100));
}

#[test]
fn settle_is_idempotent_and_a_different_amount_conflicts() {
    let (mut l, a) = funded(100_000);
    l.hold(&a, &req("r"), &bill(1000, 1000), HoldPolicy::FullBound)
        .unwrap();
    let first = l.settle(&req("r"), &bill(1000, 10)).unwrap();
    let balance = l.balance(&a);
    assert_eq!(l.settle(&req("r"), &bill(1000, 10)).unwrap(), first);
    assert_eq!(l.balance(&a), balance);
    assert_eq!(
        l.settle(&req("r"), &bill(1000, 11)).unwrap_err(),
        LedgerError::ConflictingSettle {
            request: req("r"),
            settled: QuotaUnits(1_040),
            asked: QuotaUnits(1_044),
        }
    );
    assert_eq!(l.balance(&a), balance);
    assert_eq!(l.settlement_of(&req("r")), Some(&first));
    balanced(&l, &a);
}

#[test]
fn refund_releases_the_hold_and_is_idempotent() {
    let (mut l, a) = funded(100_000);
    l.hold(&a, &req("r"), &bill(1000, 1000), HoldPolicy::FullBound)
        .unwrap();
    let r = l.refund(&req("r"), "upstream 503").unwrap();
    assert_eq!(r.released, QuotaUnits(5_000));
    assert_eq!(l.balance(&a), Some(100_000));
    assert_eq!(l.state(&req("r")), Some(State::Refunded));
    let again = l.refund(&req("r"), "retry").unwrap();
    assert_eq!(
        again, r,
        "a repeat returns the first refund, reason included"
    );
    assert_eq!(l.balance(&a), Some(100_000));
    balanced(&l, &a);
}

#[test]
fn refund_after_settle_and_settle_after_refund_are_errors() {
    let (mut l, a) = funded(100_000);
    l.hold(&a, &req("s"), &bill(10, 10), HoldPolicy::FullBound)
        .unwrap();
    l.settle(&req("s"), &bill(10, 10)).unwrap();
    let before = l.balance(&a);
    assert_eq!(
        l.refund(&req("s"), "oops").unwrap_err(),
        LedgerError::AlreadySettled { request: req("s") }
    );
    assert_eq!(l.balance(&a), before);

    l.hold(&a, &req("f"), &bill(10, 10), HoldPolicy::FullBound)
        .unwrap();
    l.refund(&req("f"), "failed").unwrap();
    assert_eq!(
        l.settle(&req("f"), &bill(10, 10)).unwrap_err(),
        LedgerError::AlreadyRefunded { request: req("f") }
    );
    // Finished requests cannot be held again either.
    assert_eq!(
        l.hold(&a, &req("s"), &bill(10, 10), HoldPolicy::FullBound)
            .unwrap_err(),
        LedgerError::AlreadySettled { request: req("s") }
    );
    assert_eq!(
        l.hold(&a, &req("f"), &bill(10, 10), HoldPolicy::FullBound)
            .unwrap_err(),
        LedgerError::AlreadyRefunded { request: req("f") }
    );
    balanced(&l, &a);
}

#[test]
fn refund_of_unknown_request_is_an_error() {
    let (mut l, _) = funded(1);
    assert_eq!(
        l.refund(&req("nope"), "x").unwrap_err(),
        LedgerError::UnknownRequest {
            request: req("nope")
        }
    );
}

#[test]
fn hold_is_idempotent_and_conflicting_repeats_are_errors() {
    let (mut l, a) = funded(100_000);
    let b = acct("bob");
    l.credit(&b, QuotaUnits(100_000));
    let h = l
        .hold(&a, &req("r"), &bill(100, 100), HoldPolicy::FullBound)
        .unwrap();
    assert_eq!(
        l.hold(&a, &req("r"), &bill(100, 100), HoldPolicy::FullBound)
            .unwrap(),
        h
    );
    assert_eq!(l.balance(&a), Some(99_500));
    for (account, estimate, policy) in [
        (&b, bill(100, 100), HoldPolicy::FullBound),
        (&a, bill(100, 101), HoldPolicy::FullBound),
        (&a, bill(100, 100), HoldPolicy::PromptOnly),
    ] {
        assert_eq!(
            l.hold(account, &req("r"), &estimate, policy).unwrap_err(),
            LedgerError::ConflictingHold { request: req("r") }
        );
    }
    assert_eq!(l.balance(&a), Some(99_500));
    assert_eq!(l.balance(&b), Some(100_000));
    balanced(&l, &a);
    balanced(&l, &b);
}

#[test]
fn group_ratio_rounding_and_minimum_go_through_the_quota_policy() {
    // One input token is $0.000002 = 1 unit; a 0.8 group makes it 0.8.
    let vip = |rounding, minimum| QuotaPolicy {
        group_ratio: Decimal::new(8, 1),
        rounding,
        minimum,
        ..QuotaPolicy::new_api()
    };
    for (rounding, minimum, units) in [
        (Rounding::Ceil, 0, 1),
        (Rounding::Floor, 0, 0),
        (Rounding::Floor, 1, 1), // the minimum charge
        (Rounding::HalfUp, 5, 5),
    ] {
        let mut l = Ledger::new(vip(rounding, minimum));
        let a = acct("a");
        l.credit(&a, QuotaUnits(10));
        let h = l
            .hold(&a, &req("r"), &bill(1, 0), HoldPolicy::FullBound)
            .unwrap();
        assert_eq!(h.held.0, units, "{rounding:?} min {minimum}");
        let s = l.settle(&req("r"), &bill(1, 0)).unwrap();
        assert_eq!(s.charged.units, units);
        assert_eq!(
            s.charged.exact,
            Decimal::new(8, 1),
            "the exact value is kept"
        );
        assert_eq!(s.delta, 0);
        balanced(&l, &a);
    }
    // 1,000 input tokens at 0.8: 800 units.
    let mut l = Ledger::new(vip(Rounding::HalfUp, 1));
    l.credit(&acct("a"), QuotaUnits(10_000));
    let h = l
        .hold(&acct("a"), &req("r"), &bill(1000, 0), HoldPolicy::FullBound)
        .unwrap();
    assert_eq!(h.held, QuotaUnits(800));
}

#[test]
fn a_bill_in_another_currency_is_refused() {
    let c = catalog();
    let (mut l, a) = funded(100_000);
    let cny = bill_of(&c, "yuan", 1000, 0, false);
    let err = l
        .hold(&a, &req("r"), &cny, HoldPolicy::FullBound)
        .unwrap_err();
    assert!(matches!(err, LedgerError::Convert(_)), "{err}");
    let err = l
        .hold(&a, &req("r"), &cny, HoldPolicy::PromptOnly)
        .unwrap_err();
    assert!(matches!(err, LedgerError::Convert(_)), "{err}");
    l.hold(&a, &req("r"), &bill(1, 0), HoldPolicy::FullBound)
        .unwrap();
    assert!(matches!(
        l.settle(&req("r"), &cny),
        Err(LedgerError::Convert(_))
    ));
    assert_eq!(l.state(&req("r")), Some(State::Held));
}

// ---- State machine ----

#[derive(Clone, Debug)]
enum Op {
    Credit(usize, u64),
    Hold(usize, usize, u64, u64, usize),
    Settle(usize, u64, u64, bool),
    Refund(usize),
}

const ACCOUNTS: usize = 3;
const REQUESTS: usize = 8;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..ACCOUNTS, 0u64..20_000).prop_map(|(a, u)| Op::Credit(a, u)),
        4 => (0..ACCOUNTS, 0..REQUESTS, 0u64..3_000, 0u64..3_000, 0usize..4)
            .prop_map(|(a, r, i, o, p)| Op::Hold(a, r, i, o, p)),
        3 => (0..REQUESTS, 0u64..3_000, 0u64..3_000, any::<bool>())
            .prop_map(|(r, i, o, e)| Op::Settle(r, i, o, e)),
        2 => (0..REQUESTS).prop_map(Op::Refund),
    ]
}

fn policy(p: usize) -> HoldPolicy {
    match p {
        0 => HoldPolicy::FullBound,
        1 => HoldPolicy::PromptOnly,
        2 => HoldPolicy::SkipAboveTrust {
            trust: QuotaUnits(15_000),
        },
        _ => HoldPolicy::new_api(),
    }
}

/// What the test believes, built only from returned records.
#[derive(Clone, Debug, PartialEq)]
enum Model {
    Held { account: usize, held: u64 },
    Settled { account: usize, charged: u64 },
    Refunded,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn holds_settlements_and_refunds_always_balance(ops in prop::collection::vec(op(), 1..60),
                                                     group in 1u32..20, rounding in 0usize..4, minimum in 0u64..3) {
        let c = catalog();
        let rounding = [Rounding::Floor, Rounding::Ceil, Rounding::HalfUp, Rounding::HalfEven][rounding];
        let qp = QuotaPolicy { group_ratio: Decimal::new(group.into(), 1), rounding, minimum, ..QuotaPolicy::new_api() };
        let mut l = Ledger::new(qp);
        let accounts: Vec<AccountId> = (0..ACCOUNTS).map(|i| acct(&format!("acct{i}"))).collect();
        let requests: Vec<RequestId> = (0..REQUESTS).map(|i| req(&format!("req{i}"))).collect();
        let mut funded = [0i128; ACCOUNTS];
        let mut balance = [0i128; ACCOUNTS];
        let mut model: HashMap<usize, Model> = HashMap::new();

        for op in ops {
            let before_states: Vec<_> = requests.iter().map(|r| l.state(r)).collect();
            let before_bal: Vec<_> = accounts.iter().map(|a| l.balance(a)).collect();
            let failed = match op {
                Op::Credit(a, u) => {
                    l.credit(&accounts[a], QuotaUnits(u));
                    funded[a] += i128::from(u);
                    balance[a] += i128::from(u);
                    false
                }
                Op::Hold(a, r, i, o, p) => {
                    let est = bill_of(&c, "m", i, o, false);
                    match l.hold(&accounts[a], &requests[r], &est, policy(p)) {
                        Ok(h) => {
                            prop_assert_eq!(&h.account, &accounts[a]);
                            match model.get(&r) {
                                None => {
                                    balance[a] -= i128::from(h.held.0);
                                    model.insert(r, Model::Held { account: a, held: h.held.0 });
                                }
                                Some(Model::Held { account, held }) => {
                                    // An idempotent repeat: the same hold, nothing moves.
                                    prop_assert_eq!(*account, a);
                                    prop_assert_eq!(*held, h.held.0);
                                }
                                Some(m) => prop_assert!(false, "hold succeeded on {:?}", m),
                            }
                            false
                        }
                        Err(e) => {
                            match (model.get(&r), &e) {
                                (None, LedgerError::InsufficientBalance { .. }) => {}
                                (Some(Model::Held { .. }), LedgerError::ConflictingHold { .. }) => {}
                                (Some(Model::Settled { .. }), LedgerError::AlreadySettled { .. }) => {}
                                (Some(Model::Refunded), LedgerError::AlreadyRefunded { .. }) => {}
                                (m, e) => prop_assert!(false, "hold on {:?} failed with {}", m, e),
                            }
                            true
                        }
                    }
                }
                Op::Settle(r, i, o, est) => {
                    let actual = bill_of(&c, "m", i, o, est);
                    match l.settle(&requests[r], &actual) {
                        Ok(s) => {
                            prop_assert_eq!(s.estimated, est);
                            prop_assert_eq!(s.delta, i128::from(s.charged.units) - i128::from(s.held.0));
                            match model.get(&r).cloned() {
                                Some(Model::Held { account, held }) => {
                                    prop_assert_eq!(held, s.held.0);
                                    balance[account] -= s.delta;
                                    model.insert(r, Model::Settled { account, charged: s.charged.units });
                                }
                                Some(Model::Settled { charged, .. }) => prop_assert_eq!(charged, s.charged.units),
                                m => prop_assert!(false, "settle succeeded on {:?}", m),
                            }
                            false
                        }
                        Err(e) => {
                            match (model.get(&r), &e) {
                                (None, LedgerError::NoHold { .. }) => {}
                                (Some(Model::Settled { .. }), LedgerError::ConflictingSettle { .. }) => {}
                                (Some(Model::Refunded), LedgerError::AlreadyRefunded { .. }) => {}
                                (m, e) => prop_assert!(false, "settle on {:?} failed with {}", m, e),
                            }
                            true
                        }
                    }
                }
                Op::Refund(r) => match l.refund(&requests[r], "test") {
                    Ok(f) => {
                        match model.get(&r).cloned() {
                            Some(Model::Held { account, held }) => {
                                prop_assert_eq!(held, f.released.0);
                                balance[account] += i128::from(held);
                                model.insert(r, Model::Refunded);
                            }
                            Some(Model::Refunded) => {}
                            m => prop_assert!(false, "refund succeeded on {:?}", m),
                        }
                        false
                    }
                    Err(e) => {
                        match (model.get(&r), &e) {
                            (None, LedgerError::UnknownRequest { .. }) => {}
                            (Some(Model::Settled { .. }), LedgerError::AlreadySettled { .. }) => {}
                            (m, e) => prop_assert!(false, "refund on {:?} failed with {}", m, e),
                        }
                        true
                    }
                },
            };
            if failed {
                // A refused operation changes nothing.
                let after_states: Vec<_> = requests.iter().map(|r| l.state(r)).collect();
                let after_bal: Vec<_> = accounts.iter().map(|a| l.balance(a)).collect();
                prop_assert_eq!(&before_states, &after_states);
                prop_assert_eq!(&before_bal, &after_bal);
            }

            // Conservation, per account, against both the ledger's audit and the model.
            for (i, a) in accounts.iter().enumerate() {
                let (mut held, mut charged) = (0i128, 0i128);
                for m in model.values() {
                    match *m {
                        Model::Held { account, held: h } if account == i => held += i128::from(h),
                        Model::Settled { account, charged: c } if account == i => charged += i128::from(c),
                        _ => {}
                    }
                }
                prop_assert_eq!(funded[i], balance[i] + held + charged);
                match l.audit(a) {
                    None => prop_assert_eq!(funded[i], 0),
                    Some(audit) => {
                        prop_assert!(audit.is_balanced(), "{:?}", audit);
                        prop_assert_eq!(audit.funded, funded[i]);
                        prop_assert_eq!(audit.balance, balance[i]);
                        prop_assert_eq!(audit.held, held);
                        prop_assert_eq!(audit.charged, charged);
                    }
                }
            }
            // Every request is in exactly the state the model says.
            for (r, id) in requests.iter().enumerate() {
                let want = model.get(&r).map(|m| match m {
                    Model::Held { .. } => State::Held,
                    Model::Settled { .. } => State::Settled,
                    Model::Refunded => State::Refunded,
                });
                prop_assert_eq!(l.state(id), want);
            }
        }
    }
}

#[test]
fn an_amount_beyond_u64_units_is_refused_not_saturated() {
    // 9·10^15 input tokens are 9·10^15 units; with a group ratio of 10^4, 9·10^19 units,
    // beyond u64: an error, never a zero or minimum charge.
    let huge = QuotaPolicy {
        group_ratio: Decimal::from(10_000),
        ..QuotaPolicy::new_api()
    };
    let mut l = Ledger::new(huge);
    l.credit(&acct("a"), QuotaUnits(u64::MAX));
    let err = l
        .hold(
            &acct("a"),
            &req("r"),
            &bill(9_000_000_000_000_000, 0),
            HoldPolicy::FullBound,
        )
        .unwrap_err();
    assert!(matches!(err, LedgerError::Convert(_)), "{err}");
    assert_eq!(l.state(&req("r")), None);
}
