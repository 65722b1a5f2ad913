//! The relay billing lifecycle: `hold` before the upstream call, `settle` after it,
//! `refund` when it failed — in whole quota units, idempotent per request id.
//!
//! # Balances are integer quota units
//!
//! Balances, holds and charges are [`QuotaUnits`] (whole units, never `f64`): a relay's
//! wallet is an integer (new-api keeps `quota` as an `int`), integer sums are exact and
//! associative, so the conservation invariant below holds to the unit with no rounding
//! argument at all. Money enters once, at the edge: every [`Bill`] (exact `Decimal`) is
//! converted by the ledger's [`QuotaPolicy`] — per-unit rate, group multiplier, named
//! rounding, minimum charge — and the exact pre-rounding value is kept beside the units
//! in each record ([`Quota::exact`]) so nothing about the price is lost.
//!
//! # The invariant
//!
//! For every account, at all times:
//!
//! ```text
//! funded = balance + Σ outstanding holds + Σ settled charges
//! ```
//!
//! where `funded` is the sum of [`Ledger::credit`]s. Every request id is in exactly one
//! state ([`State::Held`], [`State::Settled`] or [`State::Refunded`]); [`Ledger::audit`]
//! recomputes the holds and charges from the request records and checks the equation.
//!
//! # Rules (and why)
//!
//! - A failed operation changes nothing: errors are returned before any state is touched.
//! - Repeating an operation with the same request id and the same arguments returns the
//!   first result and changes nothing (a gateway retries; a retry must never charge twice).
//!   A repeat with different arguments is a typed conflict error.
//! - `settle` never fails for lack of balance: the upstream has already served the request,
//!   so its cost is owed; the balance may go negative (new-api's post-consume does the
//!   same). Hence balances are signed (`i128`) while amounts are unsigned.
//! - `refund` releases an outstanding hold in full. A refund after a settlement is an error
//!   ([`LedgerError::AlreadySettled`]): a settled charge is final, as in new-api (whose
//!   refund is a no-op once settled). Giving money back after the fact is a new, separate
//!   [`Ledger::credit`], so the record of what was charged is never rewritten.
//! - Request ids are unique across accounts: the same id under another account is a
//!   conflict, not a second request.
//!
//! # new-api's trust bypass
//!
//! new-api (`service/billing_session.go`) first refuses a request when the user's quota is
//! `<= 0` or below the pre-consume amount, then skips pre-consumption entirely when the
//! quota is strictly above a trust threshold (`GetTrustQuota()`, 10 × `QuotaPerUnit`,
//! i.e. $10 = 5,000,000 units; the token's own quota must also be above it or unlimited).
//! Settlement then charges `actual − pre-consumed`. [`HoldPolicy::SkipAboveTrust`] follows
//! the same order: the balance check first, then the bypass.
//!
//! ```
//! use tariff_operations::ledger::{AccountId, HoldPolicy, Ledger, QuotaUnits, RequestId, State};
//! use tariff_core::{Catalog, QuotaPolicy, Usage};
//!
//! // $2 per 1M input tokens and $8 per 1M output: 1 and 4 units a token at 500,000 per USD.
//! let catalog = Catalog::builder().text("t.toml", r#"
//! provider = "acme"
//! currency = "USD"
//! [[model]]
//! id = "m"
//! [[model.price]]
//! from = 2025-01-01
//! source = "test"
//! as_of = 2025-01-01
//! rates = { input_tokens = 2, output_tokens = 8 }
//! "#).build()?;
//! let bill = |json: &str| catalog.quote("m", &Usage::from_json(json).unwrap()).unwrap();
//!
//! let mut ledger = Ledger::new(QuotaPolicy::new_api());
//! let (alice, req) = (AccountId::from("alice"), RequestId::from("req-1"));
//! ledger.credit(&alice, QuotaUnits(1_000_000));
//!
//! // Hold the worst case: 1,000 prompt tokens and up to 4,000 output tokens.
//! let estimate = bill(r#"{"input_tokens":1000,"output_tokens":4000,"at":"2025-06-01T00:00:00Z"}"#);
//! let hold = ledger.hold(&alice, &req, &estimate, HoldPolicy::FullBound)?;
//! assert_eq!(hold.held, QuotaUnits(17_000)); // ($0.002 + $0.032) × 500,000
//!
//! // The response used 500 output tokens: charge that, give back the rest.
//! let actual = bill(r#"{"input_tokens":1000,"output_tokens":500,"at":"2025-06-01T00:00:00Z"}"#);
//! let s = ledger.settle(&req, &actual)?;
//! assert_eq!((s.charged.units, s.delta), (3_000, -14_000));
//! assert_eq!(ledger.balance(&alice), Some(997_000));
//! assert_eq!(ledger.state(&req), Some(State::Settled));
//! assert!(ledger.audit(&alice).unwrap().is_balanced());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::bill::Bill;
use crate::error::ConvertError;
use crate::money::{Quota, QuotaPolicy};
use crate::unit::Unit;

/// An account (a relay user or wallet) whose balance the ledger keeps.
///
/// ```
/// use tariff_operations::ledger::AccountId;
/// assert_eq!(AccountId::from("alice").to_string(), "alice");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AccountId(pub String);

/// A relay request's id: the key every operation is idempotent on.
///
/// ```
/// use tariff_operations::ledger::RequestId;
/// assert_eq!(RequestId::from("req-1").as_str(), "req-1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RequestId(pub String);

macro_rules! string_id {
    ($t:ident) => {
        impl $t {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl From<&str> for $t {
            fn from(s: &str) -> Self {
                $t(s.to_string())
            }
        }
        impl From<String> for $t {
            fn from(s: String) -> Self {
                $t(s)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_id!(AccountId);
string_id!(RequestId);

/// A whole number of relay quota units (new-api: 500,000 per US dollar).
///
/// ```
/// use tariff_operations::ledger::QuotaUnits;
/// assert_eq!(QuotaUnits(5_000_000).to_string(), "5000000");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct QuotaUnits(pub u64);

impl fmt::Display for QuotaUnits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How much to hold before the upstream call.
///
/// ```
/// use tariff_operations::ledger::{HoldPolicy, QuotaUnits};
/// assert_eq!(HoldPolicy::new_api(), HoldPolicy::SkipAboveTrust { trust: QuotaUnits(5_000_000) });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "policy")]
pub enum HoldPolicy {
    /// Hold the whole estimate: the caller prices it with the request's maximum output, so
    /// the hold bounds what the request can cost.
    FullBound,
    /// Hold only the estimate's input side (every line except output tokens, reasoning,
    /// audio and image output tokens, generated images and video seconds): cheaper holds
    /// for callers who accept settling above the hold.
    PromptOnly,
    /// new-api's bypass: refuse as `FullBound` would when the balance does not cover the
    /// estimate, but hold nothing when the balance is strictly above `trust`.
    SkipAboveTrust {
        /// The balance above which nothing is held.
        trust: QuotaUnits,
    },
}

impl HoldPolicy {
    /// new-api's default: skip above $10 of quota (10 × 500,000 units).
    pub fn new_api() -> Self {
        HoldPolicy::SkipAboveTrust {
            trust: QuotaUnits(5_000_000),
        }
    }
}

/// Units an estimate's output side is metered in; `PromptOnly` leaves them out.
const OUTPUT_UNITS: [Unit; 6] = [
    Unit::OutputTokens,
    Unit::ReasoningTokens,
    Unit::AudioOutputTokens,
    Unit::ImageOutputTokens,
    Unit::Images,
    Unit::VideoSeconds,
];

/// The state a request id is in. Each id is in exactly one.
///
/// ```
/// # use tariff_operations::ledger::*;
/// # use tariff_core::{Catalog, QuotaPolicy, Usage};
/// # let c = Catalog::builder().text("t.toml", "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"m\"\n[[model.price]]\nfrom = 2025-01-01\nsource = \"t\"\nas_of = 2025-01-01\nrates = { input_tokens = 2, output_tokens = 8 }\n").build()?;
/// # let bill = |j: &str| c.quote("m", &Usage::from_json(j).unwrap()).unwrap();
/// let mut l = Ledger::new(QuotaPolicy::new_api());
/// let (a, r) = (AccountId::from("a"), RequestId::from("r"));
/// l.credit(&a, QuotaUnits(10_000));
/// assert_eq!(l.state(&r), None);
/// l.hold(&a, &r, &bill(r#"{"input_tokens":10,"at":"2025-06-01T00:00:00Z"}"#), HoldPolicy::FullBound)?;
/// assert_eq!(l.state(&r), Some(State::Held));
/// l.refund(&r, "client went away")?;
/// assert_eq!(l.state(&r), Some(State::Refunded));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Held, awaiting settlement or refund.
    Held,
    /// Charged; final.
    Settled,
    /// Hold released; final.
    Refunded,
}

/// The record of a hold.
///
/// ```
/// # use tariff_operations::ledger::*;
/// # use tariff_core::{Catalog, QuotaPolicy, Usage};
/// # let c = Catalog::builder().text("t.toml", "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"m\"\n[[model.price]]\nfrom = 2025-01-01\nsource = \"t\"\nas_of = 2025-01-01\nrates = { input_tokens = 2, output_tokens = 8 }\n").build()?;
/// # let bill = |j: &str| c.quote("m", &Usage::from_json(j).unwrap()).unwrap();
/// let mut l = Ledger::new(QuotaPolicy::new_api());
/// let (a, r) = (AccountId::from("a"), RequestId::from("r"));
/// l.credit(&a, QuotaUnits(10_000));
/// let h = l.hold(&a, &r, &bill(r#"{"input_tokens":10,"output_tokens":10,"at":"2025-06-01T00:00:00Z"}"#), HoldPolicy::FullBound)?;
/// assert_eq!((h.held, h.trusted, h.estimate.units), (QuotaUnits(50), false, 50));
/// assert_eq!(l.hold_of(&r), Some(&h));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hold {
    /// The request.
    pub request: RequestId,
    /// The account held against.
    pub account: AccountId,
    /// The policy used.
    pub policy: HoldPolicy,
    /// The estimate as the policy counts it (full, or input side only), in units.
    pub estimate: Quota,
    /// The units actually held (zero when the trust bypass applied).
    pub held: QuotaUnits,
    /// Whether the trust bypass applied.
    pub trusted: bool,
}

/// The record of a settlement.
///
/// ```
/// # use tariff_operations::ledger::*;
/// # use tariff_core::{Catalog, QuotaPolicy, Usage};
/// # let c = Catalog::builder().text("t.toml", "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"m\"\n[[model.price]]\nfrom = 2025-01-01\nsource = \"t\"\nas_of = 2025-01-01\nrates = { input_tokens = 2, output_tokens = 8 }\n").build()?;
/// # let bill = |j: &str| c.quote("m", &Usage::from_json(j).unwrap()).unwrap();
/// let mut l = Ledger::new(QuotaPolicy::new_api());
/// let (a, r) = (AccountId::from("a"), RequestId::from("r"));
/// l.credit(&a, QuotaUnits(10_000));
/// l.hold(&a, &r, &bill(r#"{"input_tokens":10,"output_tokens":10,"at":"2025-06-01T00:00:00Z"}"#), HoldPolicy::FullBound)?;
/// let s = l.settle(&r, &bill(r#"{"input_tokens":10,"output_tokens":2,"at":"2025-06-01T00:00:00Z"}"#))?;
/// assert_eq!((s.held.0, s.charged.units, s.delta, s.estimated), (50, 18, -32, false));
/// assert_eq!(l.settlement_of(&r), Some(&s));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settlement {
    /// The request.
    pub request: RequestId,
    /// The account charged.
    pub account: AccountId,
    /// The units that were held and are now released.
    pub held: QuotaUnits,
    /// The units charged, with the exact value before rounding.
    pub charged: Quota,
    /// `charged − held`: taken from the balance when positive, given back when negative.
    pub delta: i128,
    /// Whether the bill settled from was estimated (a stream that ended without usage).
    pub estimated: bool,
}

/// The record of a refund.
///
/// See [`Ledger::refund`] for an example.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refund {
    /// The request.
    pub request: RequestId,
    /// The account credited.
    pub account: AccountId,
    /// The held units returned to the balance.
    pub released: QuotaUnits,
    /// Why (as first given; a repeat keeps the first reason).
    pub reason: String,
}

/// One account's books, recomputed from the request records.
///
/// ```
/// # use tariff_operations::ledger::*;
/// # use tariff_core::{Catalog, QuotaPolicy, Usage};
/// # let c = Catalog::builder().text("t.toml", "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"m\"\n[[model.price]]\nfrom = 2025-01-01\nsource = \"t\"\nas_of = 2025-01-01\nrates = { input_tokens = 2, output_tokens = 8 }\n").build()?;
/// # let bill = |j: &str| c.quote("m", &Usage::from_json(j).unwrap()).unwrap();
/// let mut l = Ledger::new(QuotaPolicy::new_api());
/// let a = AccountId::from("a");
/// l.credit(&a, QuotaUnits(10_000));
/// l.hold(&a, &RequestId::from("r1"), &bill(r#"{"input_tokens":100,"at":"2025-06-01T00:00:00Z"}"#), HoldPolicy::FullBound)?;
/// l.hold(&a, &RequestId::from("r2"), &bill(r#"{"input_tokens":300,"at":"2025-06-01T00:00:00Z"}"#), HoldPolicy::FullBound)?;
/// l.settle(&RequestId::from("r2"), &bill(r#"{"input_tokens":200,"at":"2025-06-01T00:00:00Z"}"#))?;
/// let audit = l.audit(&a).unwrap();
/// assert_eq!((audit.funded, audit.balance, audit.held, audit.charged), (10_000, 9_700, 100, 200));
/// assert!(audit.is_balanced());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// Sum of credits.
    pub funded: i128,
    /// The current balance (negative when settlements exceeded it).
    pub balance: i128,
    /// Sum of outstanding holds.
    pub held: i128,
    /// Sum of settled charges.
    pub charged: i128,
}

impl Audit {
    /// `funded == balance + held + charged`.
    pub fn is_balanced(&self) -> bool {
        self.funded == self.balance + self.held + self.charged
    }
}

/// Why a ledger operation was refused. A refused operation changes nothing.
///
/// ```
/// # use tariff_operations::ledger::*;
/// # use tariff_core::{Catalog, QuotaPolicy, Usage};
/// # let c = Catalog::builder().text("t.toml", "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"m\"\n[[model.price]]\nfrom = 2025-01-01\nsource = \"t\"\nas_of = 2025-01-01\nrates = { input_tokens = 2, output_tokens = 8 }\n").build()?;
/// # let bill = |j: &str| c.quote("m", &Usage::from_json(j).unwrap()).unwrap();
/// let mut l = Ledger::new(QuotaPolicy::new_api());
/// let (a, r) = (AccountId::from("a"), RequestId::from("r"));
/// l.credit(&a, QuotaUnits(5));
/// let est = bill(r#"{"input_tokens":10,"at":"2025-06-01T00:00:00Z"}"#);
/// let err = l.hold(&a, &r, &est, HoldPolicy::FullBound).unwrap_err();
/// assert_eq!(err.to_string(), "account `a` has 5 units; the hold needs 10");
/// assert!(matches!(l.settle(&r, &est), Err(LedgerError::NoHold { .. })));
/// assert_eq!(l.balance(&a), Some(5)); // nothing changed
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The balance does not cover the hold (or is not positive).
    #[error("account `{account}` has {available} units; the hold needs {needed}")]
    InsufficientBalance {
        /// The account.
        account: AccountId,
        /// Units the estimate needs.
        needed: QuotaUnits,
        /// The balance.
        available: i128,
    },
    /// `settle` for a request that was never held.
    #[error("request `{request}` has no hold to settle")]
    NoHold {
        /// The request.
        request: RequestId,
    },
    /// `refund` for a request the ledger has never seen.
    #[error("unknown request `{request}`")]
    UnknownRequest {
        /// The request.
        request: RequestId,
    },
    /// A repeated hold with another account, policy or estimate.
    #[error("request `{request}` is already held with a different account, policy or estimate")]
    ConflictingHold {
        /// The request.
        request: RequestId,
    },
    /// A repeated settle with a different amount (or estimated flag).
    #[error("request `{request}` was settled at {settled} units; cannot settle it at {asked}")]
    ConflictingSettle {
        /// The request.
        request: RequestId,
        /// Units it was settled at.
        settled: QuotaUnits,
        /// Units asked for now.
        asked: QuotaUnits,
    },
    /// The request is settled: it cannot be refunded or held again.
    #[error("request `{request}` is already settled")]
    AlreadySettled {
        /// The request.
        request: RequestId,
    },
    /// The request was refunded: it cannot be settled or held again.
    #[error("request `{request}` was refunded")]
    AlreadyRefunded {
        /// The request.
        request: RequestId,
    },
    /// The bill is not in the quota policy's currency, or too large to convert.
    #[error(transparent)]
    Convert(#[from] ConvertError),
}

#[derive(Clone, Debug)]
enum Entry {
    Held(Hold),
    Settled(Hold, Settlement),
    Refunded(Hold, Refund),
}

#[derive(Clone, Debug, Default)]
struct Account {
    funded: i128,
    balance: i128,
}

/// An in-memory ledger of accounts and requests. See the [module docs](self) for the
/// rules and the invariant.
#[derive(Clone, Debug)]
pub struct Ledger {
    policy: QuotaPolicy,
    accounts: HashMap<AccountId, Account>,
    requests: HashMap<RequestId, Entry>,
}

impl Ledger {
    /// An empty ledger converting bills by `policy` (group multiplier, rounding, minimum).
    pub fn new(policy: QuotaPolicy) -> Self {
        Ledger {
            policy,
            accounts: HashMap::new(),
            requests: HashMap::new(),
        }
    }

    /// The quota policy bills are converted by.
    pub fn policy(&self) -> &QuotaPolicy {
        &self.policy
    }

    /// Adds `units` to an account (opening it if new): a top-up, or a goodwill refund after
    /// a settlement. Returns the new balance.
    ///
    /// ```
    /// use tariff_operations::ledger::{AccountId, Ledger, QuotaUnits};
    /// let mut l = Ledger::new(tariff_core::QuotaPolicy::new_api());
    /// assert_eq!(l.credit(&AccountId::from("a"), QuotaUnits(10)), 10);
    /// assert_eq!(l.balance(&AccountId::from("a")), Some(10));
    /// ```
    pub fn credit(&mut self, account: &AccountId, units: QuotaUnits) -> i128 {
        let a = self.accounts.entry(account.clone()).or_default();
        a.funded += i128::from(units.0);
        a.balance += i128::from(units.0);
        a.balance
    }

    /// An account's balance, `None` for an account never credited.
    pub fn balance(&self, account: &AccountId) -> Option<i128> {
        self.accounts.get(account).map(|a| a.balance)
    }

    /// The state of a request, `None` if unknown.
    pub fn state(&self, request: &RequestId) -> Option<State> {
        self.requests.get(request).map(|e| match e {
            Entry::Held(_) => State::Held,
            Entry::Settled(..) => State::Settled,
            Entry::Refunded(..) => State::Refunded,
        })
    }

    /// The hold record of a request in any state.
    pub fn hold_of(&self, request: &RequestId) -> Option<&Hold> {
        self.requests.get(request).map(|e| match e {
            Entry::Held(h) | Entry::Settled(h, _) | Entry::Refunded(h, _) => h,
        })
    }

    /// The settlement of a settled request.
    pub fn settlement_of(&self, request: &RequestId) -> Option<&Settlement> {
        match self.requests.get(request) {
            Some(Entry::Settled(_, s)) => Some(s),
            _ => None,
        }
    }

    /// An account's books, with holds and charges recomputed from the request records
    /// (not from running totals), so [`Audit::is_balanced`] is a real check.
    /// `None` for an account never credited.
    pub fn audit(&self, account: &AccountId) -> Option<Audit> {
        let a = self.accounts.get(account)?;
        let (mut held, mut charged) = (0i128, 0i128);
        for e in self.requests.values() {
            match e {
                Entry::Held(h) if &h.account == account => held += i128::from(h.held.0),
                Entry::Settled(_, s) if &s.account == account => {
                    charged += i128::from(s.charged.units)
                }
                _ => {}
            }
        }
        Some(Audit {
            funded: a.funded,
            balance: a.balance,
            held,
            charged,
        })
    }

    /// Holds units against `account` for `request`, from an `estimate` bill, under `policy`.
    ///
    /// Refused with [`LedgerError::InsufficientBalance`] when the balance is not positive
    /// or does not cover the estimate (under every policy, as new-api checks before its
    /// trust bypass). A repeat with the same account, policy and estimate returns the first
    /// hold; with different ones, [`LedgerError::ConflictingHold`]; after a settlement or
    /// refund, [`LedgerError::AlreadySettled`] / [`LedgerError::AlreadyRefunded`] (a
    /// finished request must not be sent upstream again).
    ///
    /// ```
    /// # use tariff_operations::ledger::{AccountId, HoldPolicy, Ledger, QuotaUnits, RequestId};
    /// # use tariff_core::{Catalog, QuotaPolicy, Usage};
    /// # let c = Catalog::builder().text("t.toml", "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"m\"\n[[model.price]]\nfrom = 2025-01-01\nsource = \"t\"\nas_of = 2025-01-01\nrates = { input_tokens = 2, output_tokens = 8 }\n").build()?;
    /// # let bill = |j: &str| c.quote("m", &Usage::from_json(j).unwrap()).unwrap();
    /// let mut l = Ledger::new(QuotaPolicy::new_api());
    /// let a = AccountId::from("a");
    /// l.credit(&a, QuotaUnits(100_000));
    /// // 1,000 prompt tokens ($0.002 = 1,000 units) and up to 1,000 output tokens ($0.008).
    /// let est = bill(r#"{"input_tokens":1000,"output_tokens":1000,"at":"2025-06-01T00:00:00Z"}"#);
    /// let h = l.hold(&a, &RequestId::from("r1"), &est, HoldPolicy::PromptOnly)?;
    /// assert_eq!(h.held, QuotaUnits(1_000));
    /// let h = l.hold(&a, &RequestId::from("r2"), &est, HoldPolicy::SkipAboveTrust { trust: QuotaUnits(50_000) })?;
    /// assert!(h.trusted && h.held == QuotaUnits(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hold(
        &mut self,
        account: &AccountId,
        request: &RequestId,
        estimate: &Bill,
        policy: HoldPolicy,
    ) -> Result<Hold, LedgerError> {
        let counted = match policy {
            HoldPolicy::PromptOnly => self.prompt_units(estimate)?,
            HoldPolicy::FullBound | HoldPolicy::SkipAboveTrust { .. } => {
                checked(estimate.quota(&self.policy)?)?
            }
        };
        if let Some(e) = self.requests.get(request) {
            return match e {
                Entry::Held(h)
                    if &h.account == account
                        && h.policy == policy
                        && h.estimate.units == counted.units =>
                {
                    Ok(h.clone())
                }
                Entry::Held(_) => Err(LedgerError::ConflictingHold {
                    request: request.clone(),
                }),
                Entry::Settled(..) => Err(LedgerError::AlreadySettled {
                    request: request.clone(),
                }),
                Entry::Refunded(..) => Err(LedgerError::AlreadyRefunded {
                    request: request.clone(),
                }),
            };
        }
        let available = self.balance(account).unwrap_or(0);
        let needed = QuotaUnits(counted.units);
        if available <= 0 || available < i128::from(counted.units) {
            return Err(LedgerError::InsufficientBalance {
                account: account.clone(),
                needed,
                available,
            });
        }
        let trusted = matches!(policy, HoldPolicy::SkipAboveTrust { trust } if available > i128::from(trust.0));
        let held = if trusted { QuotaUnits(0) } else { needed };
        let hold = Hold {
            request: request.clone(),
            account: account.clone(),
            policy,
            estimate: counted,
            held,
            trusted,
        };
        // The account exists: `available > 0` above means it was credited.
        let a = self.accounts.get_mut(account).expect("credited account");
        a.balance -= i128::from(held.0);
        self.requests
            .insert(request.clone(), Entry::Held(hold.clone()));
        Ok(hold)
    }

    /// Settles a held request from the `actual` bill: releases the hold, charges the bill
    /// in units, and records `delta = charged − held`. Never refused for lack of balance
    /// (the request was served; see the module docs). A bill marked `estimated` (a stream
    /// that ended without usage) is recorded as such.
    ///
    /// Errors: [`LedgerError::NoHold`] for a request never held,
    /// [`LedgerError::AlreadyRefunded`] after a refund, [`LedgerError::ConflictingSettle`]
    /// for a repeat with another amount; a repeat with the same amount returns the first
    /// settlement.
    ///
    /// ```
    /// # use tariff_operations::ledger::{AccountId, HoldPolicy, Ledger, QuotaUnits, RequestId};
    /// # use tariff_core::{Catalog, QuotaPolicy, Usage};
    /// # let c = Catalog::builder().text("t.toml", "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"m\"\n[[model.price]]\nfrom = 2025-01-01\nsource = \"t\"\nas_of = 2025-01-01\nrates = { input_tokens = 2, output_tokens = 8 }\n").build()?;
    /// # let bill = |j: &str| c.quote("m", &Usage::from_json(j).unwrap()).unwrap();
    /// let mut l = Ledger::new(QuotaPolicy::new_api());
    /// let (a, r) = (AccountId::from("a"), RequestId::from("r"));
    /// l.credit(&a, QuotaUnits(100_000));
    /// l.hold(&a, &r, &bill(r#"{"input_tokens":1000,"at":"2025-06-01T00:00:00Z"}"#), HoldPolicy::PromptOnly)?;
    /// // The stream ended without usage: settle on an estimate, and say so.
    /// let est = bill(r#"{"input_tokens":1000,"output_tokens":250,"estimated":true,"at":"2025-06-01T00:00:00Z"}"#);
    /// let s = l.settle(&r, &est)?;
    /// assert!(s.estimated);
    /// assert_eq!((s.held, s.charged.units, s.delta), (QuotaUnits(1_000), 2_000, 1_000));
    /// assert_eq!(l.settle(&r, &est)?, s); // idempotent
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn settle(
        &mut self,
        request: &RequestId,
        actual: &Bill,
    ) -> Result<Settlement, LedgerError> {
        let charged = checked(actual.quota(&self.policy)?)?;
        let hold = match self.requests.get(request) {
            None => {
                return Err(LedgerError::NoHold {
                    request: request.clone(),
                })
            }
            Some(Entry::Refunded(..)) => {
                return Err(LedgerError::AlreadyRefunded {
                    request: request.clone(),
                })
            }
            Some(Entry::Settled(_, s)) => {
                return if s.charged.units == charged.units && s.estimated == actual.estimated() {
                    Ok(s.clone())
                } else {
                    Err(LedgerError::ConflictingSettle {
                        request: request.clone(),
                        settled: QuotaUnits(s.charged.units),
                        asked: QuotaUnits(charged.units),
                    })
                };
            }
            Some(Entry::Held(h)) => h.clone(),
        };
        let delta = i128::from(charged.units) - i128::from(hold.held.0);
        let settlement = Settlement {
            request: request.clone(),
            account: hold.account.clone(),
            held: hold.held,
            charged,
            delta,
            estimated: actual.estimated(),
        };
        let a = self
            .accounts
            .get_mut(&hold.account)
            .expect("a held request's account exists");
        a.balance -= delta;
        self.requests
            .insert(request.clone(), Entry::Settled(hold, settlement.clone()));
        Ok(settlement)
    }

    /// Refunds a held request: its hold returns to the balance in full. A repeat returns
    /// the first refund. Errors: [`LedgerError::UnknownRequest`], and
    /// [`LedgerError::AlreadySettled`] (a settled charge is final; give money back with
    /// [`Ledger::credit`]).
    ///
    /// ```
    /// # use tariff_operations::ledger::{AccountId, HoldPolicy, Ledger, LedgerError, QuotaUnits, RequestId};
    /// # use tariff_core::{Catalog, QuotaPolicy, Usage};
    /// # let c = Catalog::builder().text("t.toml", "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"m\"\n[[model.price]]\nfrom = 2025-01-01\nsource = \"t\"\nas_of = 2025-01-01\nrates = { input_tokens = 2, output_tokens = 8 }\n").build()?;
    /// # let bill = |j: &str| c.quote("m", &Usage::from_json(j).unwrap()).unwrap();
    /// let mut l = Ledger::new(QuotaPolicy::new_api());
    /// let (a, r) = (AccountId::from("a"), RequestId::from("r"));
    /// l.credit(&a, QuotaUnits(100_000));
    /// l.hold(&a, &r, &bill(r#"{"input_tokens":1000,"at":"2025-06-01T00:00:00Z"}"#), HoldPolicy::FullBound)?;
    /// assert_eq!(l.balance(&a), Some(99_000));
    /// let back = l.refund(&r, "upstream 503")?;
    /// assert_eq!(back.released, QuotaUnits(1_000));
    /// assert_eq!(l.balance(&a), Some(100_000));
    /// assert!(matches!(l.refund(&RequestId::from("nope"), "x"), Err(LedgerError::UnknownRequest { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refund(&mut self, request: &RequestId, reason: &str) -> Result<Refund, LedgerError> {
        let hold = match self.requests.get(request) {
            None => {
                return Err(LedgerError::UnknownRequest {
                    request: request.clone(),
                })
            }
            Some(Entry::Settled(..)) => {
                return Err(LedgerError::AlreadySettled {
                    request: request.clone(),
                })
            }
            Some(Entry::Refunded(_, r)) => return Ok(r.clone()),
            Some(Entry::Held(h)) => h.clone(),
        };
        let refund = Refund {
            request: request.clone(),
            account: hold.account.clone(),
            released: hold.held,
            reason: reason.to_string(),
        };
        let a = self
            .accounts
            .get_mut(&hold.account)
            .expect("a held request's account exists");
        a.balance += i128::from(hold.held.0);
        self.requests
            .insert(request.clone(), Entry::Refunded(hold, refund.clone()));
        Ok(refund)
    }

    /// The input side of an estimate, converted once (rounding and minimum applied to the
    /// sum, not per line, so the prompt-only hold rounds the same way a bill does).
    fn prompt_units(&self, estimate: &Bill) -> Result<Quota, LedgerError> {
        if estimate.currency() != self.policy.currency {
            // Let `Bill::quota` build the same error it gives for a full estimate.
            estimate.quota(&self.policy)?;
        }
        let mut sum = Decimal::ZERO;
        for l in estimate
            .lines()
            .iter()
            .filter(|l| !OUTPUT_UNITS.contains(&l.unit()))
        {
            sum = sum.checked_add(l.amount()).ok_or(ConvertError::Overflow)?;
        }
        checked(self.policy.units(sum)?)
    }
}

/// Refuses a quota too large for `u64` units. `QuotaPolicy::units` already refuses what
/// does not fit; this keeps the ledger's own bound explicit where it sums balances.
fn checked(q: Quota) -> Result<Quota, LedgerError> {
    if q.exact > Decimal::from(u64::MAX) {
        return Err(ConvertError::Overflow.into());
    }
    Ok(q)
}
