//! Upstream outcomes: what a failed request means for the bill.
//!
//! A relay holds quota before it calls the upstream and settles afterwards. When the
//! call fails, the HTTP status and error body say *whose* fault it was, and that decides
//! what happens to the hold and to the channel. [`Classifier::classify`] turns a status
//! and a body (from the upstream or from the relay itself) into an [`Outcome`]: a
//! [`Fault`] and an [`Action`].
//!
//! ```
//! use tariff_operations::outcome::{classify, Billing, Fault};
//!
//! let body = r#"{"error":{"message":"prompt is too long: 300001 tokens > 200000 maximum","type":"invalid_request_error"}}"#;
//! let outcome = classify(400, body);
//! assert_eq!(outcome.fault, Fault::Client);
//! assert_eq!(outcome.action.billing, Billing::Refund);
//! assert!(!outcome.action.retry); // another channel would reject it too
//! assert_eq!(outcome.rule.as_deref(), Some("prompt-too-long"));
//! ```
//!
//! # Rules are data
//!
//! The patterns live in `outcomes/rules.toml` (embedded at build time), one rule per row
//! of the relay's error catalogue (the seed's 常见接口错误类型说明) plus new-api's own
//! channel-disabling keywords. An operator adds or overrides rules with a file in the same
//! format ([`Classifier::from_toml`], [`Classifier::extend`]). A pattern is
//! case-insensitive, treats any run of whitespace as one space and full-width punctuation
//! as ASCII, and may hold placeholders — `{n}` a number, `{id}` an identifier, `{model}`
//! a model name, `{*}` anything — so messages that differ only in numbers, ids or model
//! names classify the same. No regex engine: the language is small enough to match by
//! hand in microseconds, and small enough for an operator to read.
//!
//! When no rule matches, the status class decides ([`status_default`]) and the outcome
//! says so: `rule` is `None` and `basis` is [`Basis::Status`].
//!
//! # Why an action is a billing decision plus two flags
//!
//! The hold is settled exactly one way — refunded or charged — so [`Billing`] is an enum
//! and "refund and charge" cannot be written. Retrying on another channel and disabling
//! this channel are independent routing effects that combine freely with either (an
//! exhausted vendor account means: refund this attempt, move the request, take the
//! channel out), so they are booleans. A retry re-uses the same hold for the next
//! attempt; the refund applies when the request finally fails.
//!
//! Every built-in rule refunds: a request that failed before any output reached the
//! client gave the user nothing, and new-api returns the pre-consumed quota on every such
//! error. [`Billing::Charge`] exists for operators (a vendor that bills rejected
//! requests) and for partial streams.
//!
//! # Partial streams
//!
//! [`Classifier::settle_stream`] decides a stream that ended early. The policy follows
//! new-api (QuantumNous/new-api `relay/helper/stream_scanner.go` and the stream handlers
//! in `relay/channel/openai/relay-openai.go`): when the client disconnects, the upstream
//! errors, or the stream times out, the scanner stops and the handler still settles — with
//! the upstream's usage if it arrived, otherwise with usage estimated from the text
//! actually delivered (`ResponseText2Usage`) plus the estimated prompt. And once bytes
//! have reached the client the request is never retried (`shouldRetry` returns false when
//! the response writer has written). So:
//!
//! - **client disconnect** → charge what was streamed (reported usage, else estimated from
//!   the delivered text); fault `client`; no retry. The upstream bills the relay for the
//!   prompt and every token it generated, and the user chose to stop.
//! - **upstream error or timeout after output was delivered** → charge the delivered part;
//!   no retry (the client already consumed a prefix; a second answer cannot be spliced
//!   on); the error is still classified so an exhausted account still disables the
//!   channel. The delivered tokens are usable and were billed upstream. An operator who
//!   prefers to forgive truncated answers sets [`StreamPolicy::upstream_truncation`] to
//!   [`Billing::Refund`].
//! - **upstream error before any output** → an ordinary failed request: [`classify`].
//!
//! Whenever usage is estimated the caller must mark the bill as estimated.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The built-in rules, `outcomes/rules.toml`.
pub const BUILTIN_RULES: &str = include_str!("../outcomes/rules.toml");

/// How much of a raw body is searched. Error bodies are short; a megabyte of HTML from a
/// misconfigured channel must not cost a megabyte of matching per rule.
const RAW_LIMIT: usize = 8 * 1024;

/// How much of the message an [`Outcome`] keeps.
const MESSAGE_LIMIT: usize = 2 * 1024;

/// Whose fault a failed request was (the seed catalogue's 归因).
///
/// ```
/// use tariff_operations::outcome::Fault;
/// assert_eq!(serde_json::to_string(&Fault::UpstreamAccount).unwrap(), r#""upstream_account""#);
/// assert_eq!("channel_config".parse::<Fault>().unwrap(), Fault::ChannelConfig);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The user's request (用户请求问题): fix the request, not the relay.
    Client,
    /// The upstream service failed or is overloaded (上游问题).
    Upstream,
    /// The vendor account behind the channel is exhausted or invalid (上游资源耗尽或供应商账号失效).
    UpstreamAccount,
    /// This server (本机服务器问题).
    Relay,
    /// The channel is configured wrongly (渠道API配置错误).
    ChannelConfig,
    /// A bug in the relay's code (代码bug).
    RelayBug,
}

impl Fault {
    /// All faults, in declaration order.
    pub const ALL: [Fault; 6] = [
        Fault::Client,
        Fault::Upstream,
        Fault::UpstreamAccount,
        Fault::Relay,
        Fault::ChannelConfig,
        Fault::RelayBug,
    ];

    /// The snake_case name used in TOML and JSON.
    ///
    /// ```
    /// assert_eq!(tariff_operations::outcome::Fault::RelayBug.as_str(), "relay_bug");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Client => "client",
            Fault::Upstream => "upstream",
            Fault::UpstreamAccount => "upstream_account",
            Fault::Relay => "relay",
            Fault::ChannelConfig => "channel_config",
            Fault::RelayBug => "relay_bug",
        }
    }

    /// The action a fault implies when a rule says nothing more.
    ///
    /// Every fault refunds (nothing was delivered). Retry where another channel can
    /// succeed: not for the user's own mistakes, this server's trouble or a code bug,
    /// which fail the same way everywhere. Disable the channel when the channel itself is
    /// broken: a dead vendor account or a wrong configuration.
    ///
    /// ```
    /// use tariff_operations::outcome::{Action, Billing, Fault};
    /// let a = Fault::UpstreamAccount.default_action();
    /// assert_eq!(a, Action { billing: Billing::Refund, retry: true, disable_channel: true });
    /// ```
    pub fn default_action(self) -> Action {
        let (retry, disable_channel) = match self {
            Fault::Client | Fault::Relay | Fault::RelayBug => (false, false),
            Fault::Upstream => (true, false),
            Fault::UpstreamAccount | Fault::ChannelConfig => (true, true),
        };
        Action {
            billing: Billing::Refund,
            retry,
            disable_channel,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown fault `{s}`"))
    }
}

/// What happens to the quota held for the request.
///
/// ```
/// use tariff_operations::outcome::Billing;
/// assert_eq!(serde_json::to_string(&Billing::Refund).unwrap(), r#""refund""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Return the hold to the user.
    Refund,
    /// Settle the hold against what was consumed.
    Charge,
}

/// The billing action for an outcome: settle the hold one way, and optionally move the
/// request to another channel and take this channel out of rotation.
///
/// ```
/// use tariff_operations::outcome::{Action, Billing};
/// let a = Action { billing: Billing::Refund, retry: true, disable_channel: false };
/// assert_eq!(a.to_string(), "refund, retry on another channel");
/// assert_eq!(serde_json::to_string(&a).unwrap(),
///            r#"{"billing":"refund","retry":true,"disable_channel":false}"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Action {
    /// Refund or charge the hold.
    pub billing: Billing,
    /// Try the request on another channel (the hold carries over to the next attempt).
    pub retry: bool,
    /// Disable this channel until an operator or a probe re-enables it.
    pub disable_channel: bool,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.billing {
            Billing::Refund => "refund",
            Billing::Charge => "charge",
        })?;
        if self.retry {
            f.write_str(", retry on another channel")?;
        }
        if self.disable_channel {
            f.write_str(", disable the channel")?;
        }
        Ok(())
    }
}

/// What decided an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A rule matched the message; its id is in [`Outcome::rule`].
    Rule,
    /// No rule matched: the default for the status class ([`status_default`]).
    Status,
}

/// A classified failure.
///
/// ```
/// use tariff_operations::outcome::{classify, Basis, Fault};
/// let o = classify(502, "something nobody has seen before");
/// assert_eq!((o.fault, o.basis, o.rule), (Fault::Upstream, Basis::Status, None));
/// let json = serde_json::to_value(classify(429, "上游服务繁忙，请稍后重试")).unwrap();
/// assert_eq!(json["fault"], "upstream");
/// assert_eq!(json["action"]["retry"], true);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The HTTP status classified.
    pub status: u16,
    /// Whose fault it was.
    pub fault: Fault,
    /// What to do with the hold and the channel.
    pub action: Action,
    /// The id of the rule that matched, `None` when the status default applied.
    pub rule: Option<String>,
    /// Whether a rule or the status class decided.
    pub basis: Basis,
    /// The error message found in the body (or the body itself, trimmed).
    pub message: String,
    /// The rule's note, or why the status default was chosen.
    pub note: String,
    /// Where the rule comes from (`None` for a status default or a rule without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "fault    {}", self.fault)?;
        writeln!(f, "action   {}", self.action)?;
        match &self.rule {
            Some(rule) => writeln!(f, "rule     {rule}")?,
            None => writeln!(f, "rule     (none: default for status {})", self.status)?,
        }
        writeln!(f, "status   {}", self.status)?;
        writeln!(f, "message  {}", self.message)?;
        if !self.note.is_empty() {
            writeln!(f, "note     {}", self.note)?;
        }
        if let Some(source) = &self.source {
            writeln!(f, "source   {source}")?;
        }
        Ok(())
    }
}

/// A rule file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Not valid TOML, or a field that does not belong.
    #[error("outcome rules: {0}")]
    Toml(String),
    /// A rule that is well-formed TOML but cannot work.
    #[error("outcome rule `{id}`: {detail}")]
    Invalid {
        /// The rule's id (empty when the id itself is the problem).
        id: String,
        /// What is wrong.
        detail: String,
    },
}

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(String),
    Num,
    Id,
    Model,
    Any,
}

impl Tok {
    /// Whether a byte can belong to a placeholder's run. ASCII only: numbers, ids and
    /// model names are ASCII, and stopping at any other byte keeps matches on char
    /// boundaries.
    fn accepts(&self, b: u8) -> bool {
        match self {
            Tok::Num => b.is_ascii_digit() || b == b',' || b == b'.' || b == b'_',
            Tok::Id => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            Tok::Model => {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'/' | b'@')
            }
            Tok::Lit(_) | Tok::Any => false,
        }
    }

    /// The first byte of a placeholder's run must be this kind (a number starts with a digit).
    fn starts(&self, b: u8) -> bool {
        match self {
            Tok::Num => b.is_ascii_digit(),
            _ => self.accepts(b),
        }
    }
}

/// A compiled message pattern: case-insensitive substring with `{n}`, `{id}`, `{model}`
/// and `{*}` placeholders.
///
/// ```
/// use tariff_operations::outcome::Pattern;
/// let p = Pattern::new("prompt is too long: {n} tokens > {n} maximum")?;
/// assert!(p.is_match("Error: Prompt is too long: 300001 tokens > 200000 maximum."));
/// assert!(!p.is_match("prompt is too long"));
/// let p = Pattern::new("分组 {*} 下模型 {model} 无可用渠道")?;
/// assert!(p.is_match("分组 vip 下模型 claude-opus-4-1 无可用渠道（distributor）"));
/// # Ok::<(), tariff_operations::outcome::RuleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    toks: Vec<Tok>,
}

impl Pattern {
    /// Compiles a pattern. An unknown placeholder such as `{num}` is an error (a typo
    /// would otherwise silently match nothing); other braces are literal.
    pub fn new(source: &str) -> Result<Pattern, RuleError> {
        let norm = normalize(source);
        if norm.is_empty() {
            return Err(invalid("", "empty pattern"));
        }
        let mut toks = Vec::new();
        let mut lit = String::new();
        let mut rest = norm.as_str();
        while let Some(open) = rest.find('{') {
            lit.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}');
            let name = close.map(|c| &after[..c]);
            let tok = match name {
                Some("n") => Some(Tok::Num),
                Some("id") => Some(Tok::Id),
                Some("model") => Some(Tok::Model),
                Some("*") => Some(Tok::Any),
                Some(other)
                    if !other.is_empty()
                        && other.bytes().all(|b| b.is_ascii_lowercase() || b == b'*') =>
                {
                    return Err(invalid(
                        "",
                        &format!(
                            "unknown placeholder `{{{other}}}` in pattern `{source}` (use {{n}}, {{id}}, {{model}} or {{*}})"
                        ),
                    ));
                }
                _ => None,
            };
            match (tok, close) {
                (Some(tok), Some(close)) => {
                    if !lit.is_empty() {
                        toks.push(Tok::Lit(std::mem::take(&mut lit)));
                    }
                    // Two wildcards in a row are one; a wildcard at either end is the
                    // substring search itself.
                    if !(tok == Tok::Any && toks.last() == Some(&Tok::Any)) {
                        toks.push(tok);
                    }
                    rest = &after[close + 1..];
                }
                _ => {
                    lit.push('{');
                    rest = after;
                }
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            toks.push(Tok::Lit(lit));
        }
        while toks.first() == Some(&Tok::Any) {
            toks.remove(0);
        }
        while toks.last() == Some(&Tok::Any) {
            toks.pop();
        }
        if toks.is_empty() {
            return Err(invalid(
                "",
                &format!("pattern `{source}` matches everything"),
            ));
        }
        Ok(Pattern {
            source: source.to_string(),
            toks,
        })
    }

    /// The pattern as written.
    ///
    /// ```
    /// assert_eq!(tariff_operations::outcome::Pattern::new("Quota {n}")?.as_str(), "Quota {n}");
    /// # Ok::<(), tariff_operations::outcome::RuleError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern occurs anywhere in `text` (normalized first).
    ///
    /// ```
    /// let p = tariff_operations::outcome::Pattern::new("unrecognized request argument supplied: {id}")?;
    /// assert!(p.is_match("Unrecognized request argument supplied:   top_k"));
    /// # Ok::<(), tariff_operations::outcome::RuleError>(())
    /// ```
    pub fn is_match(&self, text: &str) -> bool {
        self.matches_normalized(&normalize(text))
    }

    fn matches_normalized(&self, hay: &str) -> bool {
        // Cheap rejection first: most rules do not match most messages, and a missing
        // literal is found without any backtracking.
        if self
            .toks
            .iter()
            .any(|t| matches!(t, Tok::Lit(l) if !hay.contains(l.as_str())))
        {
            return false;
        }
        let h = hay.as_bytes();
        match &self.toks[0] {
            Tok::Lit(l) => hay
                .match_indices(l.as_str())
                .any(|(i, _)| match_at(&self.toks[1..], h, i + l.len())),
            first => (0..h.len())
                .any(|i| (i == 0 || !first.accepts(h[i - 1])) && match_at(&self.toks, h, i)),
        }
    }
}

/// Whether `toks` match a prefix of `h[i..]`.
fn match_at(toks: &[Tok], h: &[u8], i: usize) -> bool {
    let Some((first, rest)) = toks.split_first() else {
        return true;
    };
    match first {
        Tok::Lit(l) => h[i..].starts_with(l.as_bytes()) && match_at(rest, h, i + l.len()),
        Tok::Any => match rest.first() {
            // A wildcard is always followed by something (trailing ones are dropped);
            // jump straight to the places where that literal occurs.
            Some(Tok::Lit(l)) => {
                let Ok(tail) = std::str::from_utf8(&h[i..]) else {
                    return false;
                };
                tail.match_indices(l.as_str())
                    .any(|(j, _)| match_at(rest, h, i + j))
            }
            _ => (i..=h.len()).any(|j| match_at(rest, h, j)),
        },
        class => {
            if i >= h.len() || !class.starts(h[i]) {
                return false;
            }
            let run = h[i..].iter().take_while(|&&b| class.accepts(b)).count();
            // Longest first, then shorter: "{n}, model" must be able to give back the comma.
            (1..=run).rev().any(|len| match_at(rest, h, i + len))
        }
    }
}

/// Lower-cases, maps full-width ASCII forms and curly quotes to ASCII, and collapses
/// whitespace, so that patterns and messages meet on the same ground.
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn invalid(id: &str, detail: &str) -> RuleError {
    RuleError::Invalid {
        id: id.to_string(),
        detail: detail.to_string(),
    }
}

/// One classification rule.
///
/// ```
/// use tariff_operations::outcome::{Classifier, Fault};
/// let rule = Classifier::builtin().rules().iter().find(|r| r.id == "prompt-too-long").unwrap();
/// assert_eq!(rule.statuses, [400]);
/// assert_eq!(rule.fault, Fault::Client);
/// assert!(rule.source.starts_with("SEED 400"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique name, reported in every outcome this rule decides.
    pub id: String,
    /// The HTTP statuses the rule applies to; empty means any.
    pub statuses: Vec<u16>,
    /// The message patterns; any one matching is enough.
    pub patterns: Vec<Pattern>,
    /// Whose fault.
    pub fault: Fault,
    /// The action: the fault's default with the rule's overrides applied.
    pub action: Action,
    /// Why, in a sentence.
    pub note: String,
    /// Where the rule comes from.
    pub source: String,
}

impl Rule {
    fn applies(&self, status: u16, haystacks: &[String]) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&status))
            && self
                .patterns
                .iter()
                .any(|p| haystacks.iter().any(|h| p.matches_normalized(h)))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    #[serde(default)]
    statuses: Vec<u16>,
    #[serde(rename = "match")]
    patterns: OneOrMany,
    fault: Fault,
    billing: Option<Billing>,
    retry: Option<bool>,
    disable_channel: Option<bool>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    source: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Classifies failed requests by an ordered list of [`Rule`]s; the first that matches wins.
///
/// ```
/// use tariff_operations::outcome::{Classifier, Fault};
/// let mut classifier = Classifier::builtin().clone();
/// classifier.extend(Classifier::from_toml(r#"
///     [[rule]]
///     id = "my-vendor-maintenance"
///     statuses = [503]
///     match = "scheduled maintenance until {*}"
///     fault = "upstream"
///     disable_channel = true
///     note = "Vendor X announces maintenance windows this way."
///     source = "ops runbook"
/// "#)?);
/// let o = classifier.classify(503, "Scheduled maintenance until 04:00 UTC");
/// assert_eq!(o.rule.as_deref(), Some("my-vendor-maintenance"));
/// assert!(o.action.disable_channel);
/// # Ok::<(), tariff_operations::outcome::RuleError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classifier {
    rules: Vec<Rule>,
}

impl Classifier {
    /// The built-in rules (`outcomes/rules.toml`), parsed once.
    ///
    /// ```
    /// assert!(tariff_operations::outcome::Classifier::builtin().rules().len() >= 39);
    /// ```
    pub fn builtin() -> &'static Classifier {
        static BUILTIN: OnceLock<Classifier> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Classifier::from_toml(BUILTIN_RULES)
                .unwrap_or_else(|e| panic!("outcomes/rules.toml is invalid: {e}"))
        })
    }

    /// Parses a rule file. Unknown fields, duplicate ids, unknown placeholders and
    /// patterns that match everything are errors.
    ///
    /// ```
    /// use tariff_operations::outcome::Classifier;
    /// let c = Classifier::from_toml(r#"
    ///     [[rule]]
    ///     id = "x"
    ///     match = ["foo {n}", "bar"]
    ///     fault = "relay"
    /// "#)?;
    /// assert_eq!(c.rules()[0].patterns.len(), 2);
    /// assert!(Classifier::from_toml("[[rule]]\nid = \"y\"\nmatch = \"{num}\"\nfault = \"relay\"").is_err());
    /// # Ok::<(), tariff_operations::outcome::RuleError>(())
    /// ```
    pub fn from_toml(text: &str) -> Result<Classifier, RuleError> {
        // A byte order mark (Windows editors write one) is not TOML, nor content.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Toml(e.to_string()))?;
        let mut rules: Vec<Rule> = Vec::with_capacity(file.rule.len());
        for raw in file.rule {
            if raw.id.trim().is_empty() {
                return Err(invalid("", "a rule has an empty id"));
            }
            if rules.iter().any(|r| r.id == raw.id) {
                return Err(invalid(&raw.id, "duplicate id"));
            }
            let sources = match raw.patterns {
                OneOrMany::One(p) => vec![p],
                OneOrMany::Many(ps) => ps,
            };
            if sources.is_empty() {
                return Err(invalid(&raw.id, "`match` is empty"));
            }
            let patterns = sources
                .iter()
                .map(|p| {
                    Pattern::new(p).map_err(|e| match e {
                        RuleError::Invalid { detail, .. } => invalid(&raw.id, &detail),
                        other => other,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let default = raw.fault.default_action();
            rules.push(Rule {
                action: Action {
                    billing: raw.billing.unwrap_or(default.billing),
                    retry: raw.retry.unwrap_or(default.retry),
                    disable_channel: raw.disable_channel.unwrap_or(default.disable_channel),
                },
                id: raw.id,
                statuses: raw.statuses,
                patterns,
                fault: raw.fault,
                note: raw.note,
                source: raw.source,
            });
        }
        Ok(Classifier { rules })
    }

    /// Lays an operator's rules over these: a rule whose id is already here replaces it,
    /// and all of `overlay`'s rules are tried before the remaining ones (an operator's
    /// specific knowledge beats the general catalogue).
    ///
    /// ```
    /// use tariff_operations::outcome::{Classifier, Fault};
    /// let mut c = Classifier::builtin().clone();
    /// let before = c.rules().len();
    /// c.extend(Classifier::from_toml(r#"
    ///     [[rule]]
    ///     id = "high-demand"
    ///     match = "currently experiencing high demand"
    ///     fault = "upstream"
    ///     disable_channel = true
    /// "#)?);
    /// assert_eq!(c.rules().len(), before);
    /// assert!(c.classify(503, "This model is currently experiencing high demand").action.disable_channel);
    /// # Ok::<(), tariff_operations::outcome::RuleError>(())
    /// ```
    pub fn extend(&mut self, overlay: Classifier) {
        self.rules
            .retain(|r| !overlay.rules.iter().any(|o| o.id == r.id));
        let mut rules = overlay.rules;
        rules.append(&mut self.rules);
        self.rules = rules;
    }

    /// The rules, in the order they are tried.
    ///
    /// ```
    /// let first = &tariff_operations::outcome::Classifier::builtin().rules()[0];
    /// assert_eq!(first.id, "image-size-limit");
    /// ```
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Classifies a failed request: `status` is the HTTP status, `body` the error body in
    /// any common shape (OpenAI, Anthropic, Gemini, new-api, AWS, an SSE `error` event, or
    /// plain text). Rules are matched against the extracted message, the error's
    /// type/code/status fields and the raw body.
    ///
    /// ```
    /// use tariff_operations::outcome::{Classifier, Fault};
    /// let body = r#"{"type":"error","error":{"type":"invalid_request_error",
    ///   "message":"messages.1.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01AbC"}}"#;
    /// let o = Classifier::builtin().classify(400, body);
    /// assert_eq!(o.fault, Fault::Client);
    /// assert!(o.message.starts_with("messages.1.content.0"));
    /// ```
    pub fn classify(&self, status: u16, body: &str) -> Outcome {
        // A body saved with a byte order mark is still JSON.
        let body = body.strip_prefix('\u{feff}').unwrap_or(body);
        let found = extract(body);
        let mut haystacks = Vec::with_capacity(found.fields.len() + 2);
        haystacks.push(normalize(truncate(&found.message, RAW_LIMIT)));
        haystacks.extend(
            found
                .fields
                .iter()
                .map(|f| normalize(truncate(f, RAW_LIMIT))),
        );
        haystacks.push(normalize(truncate(body, RAW_LIMIT)));
        let message = truncate(&found.message, MESSAGE_LIMIT).to_string();
        match self.rules.iter().find(|r| r.applies(status, &haystacks)) {
            Some(rule) => Outcome {
                status,
                fault: rule.fault,
                action: rule.action,
                rule: Some(rule.id.clone()),
                basis: Basis::Rule,
                message,
                note: rule.note.clone(),
                source: (!rule.source.is_empty()).then(|| rule.source.clone()),
            },
            None => {
                let (fault, action, note) = status_default(status);
                Outcome {
                    status,
                    fault,
                    action,
                    rule: None,
                    basis: Basis::Status,
                    message,
                    note: note.to_string(),
                    source: None,
                }
            }
        }
    }

    /// Settles a streamed request that ended, normally or not (see the module docs for
    /// the policy and its source in new-api).
    ///
    /// ```
    /// use tariff_operations::outcome::{Billing, Classifier, Fault, StreamEnd, StreamPolicy, StreamProgress, UsageBasis};
    /// let c = Classifier::builtin();
    /// let halfway = StreamProgress { delivered_output: true, usage_reported: false };
    ///
    /// let s = c.settle_stream(&StreamEnd::ClientGone, halfway, &StreamPolicy::default());
    /// assert_eq!((s.billing, s.usage, s.fault), (Billing::Charge, UsageBasis::EstimatedFromDelivered, Some(Fault::Client)));
    ///
    /// let err = StreamEnd::UpstreamError { status: 429, body: "You exceeded your current quota" };
    /// let s = c.settle_stream(&err, halfway, &StreamPolicy::default());
    /// assert_eq!(s.billing, Billing::Charge);
    /// assert!(!s.retry && s.disable_channel);
    ///
    /// let s = c.settle_stream(&err, StreamProgress::default(), &StreamPolicy::default());
    /// assert_eq!((s.billing, s.usage), (Billing::Refund, UsageBasis::None));
    /// assert!(s.retry);
    /// ```
    pub fn settle_stream(
        &self,
        end: &StreamEnd<'_>,
        progress: StreamProgress,
        policy: &StreamPolicy,
    ) -> StreamSettlement {
        let consumed = if progress.usage_reported {
            UsageBasis::Reported
        } else {
            UsageBasis::EstimatedFromDelivered
        };
        let charge = |fault: Option<Fault>, outcome: Option<Outcome>, reason| StreamSettlement {
            billing: Billing::Charge,
            usage: consumed,
            retry: false,
            disable_channel: outcome.as_ref().is_some_and(|o| o.action.disable_channel),
            fault,
            outcome,
            reason,
        };
        match end {
            StreamEnd::Completed => charge(None, None, "the stream completed"),
            StreamEnd::ClientGone => match (progress.delivered_output, policy.client_cancel_before_output) {
                (false, Billing::Refund) => StreamSettlement {
                    billing: Billing::Refund,
                    usage: UsageBasis::None,
                    retry: false,
                    disable_channel: false,
                    fault: Some(Fault::Client),
                    outcome: None,
                    reason: "the client disconnected before any output; the policy forgives it",
                },
                (false, Billing::Charge) => charge(
                    Some(Fault::Client),
                    None,
                    "the client disconnected before any output; the upstream already read the prompt",
                ),
                (true, _) => charge(
                    Some(Fault::Client),
                    None,
                    "the client disconnected mid-stream; charge what was streamed",
                ),
            },
            StreamEnd::UpstreamError { status, body } => {
                let outcome = self.classify(*status, body);
                if progress.delivered_output {
                    let mut s = charge(
                        Some(outcome.fault),
                        Some(outcome),
                        "the upstream failed mid-stream; charge what was delivered, never retry after output",
                    );
                    if policy.upstream_truncation == Billing::Refund {
                        s.billing = Billing::Refund;
                        s.usage = UsageBasis::None;
                        s.reason = "the upstream failed mid-stream; the policy forgives truncated answers";
                    }
                    s
                } else {
                    StreamSettlement {
                        billing: outcome.action.billing,
                        usage: match outcome.action.billing {
                            Billing::Refund => UsageBasis::None,
                            Billing::Charge => consumed,
                        },
                        retry: outcome.action.retry,
                        disable_channel: outcome.action.disable_channel,
                        fault: Some(outcome.fault),
                        outcome: Some(outcome),
                        reason: "the upstream failed before any output: an ordinary failed request",
                    }
                }
            }
            StreamEnd::Timeout => {
                if progress.delivered_output {
                    let mut s = charge(
                        Some(Fault::Upstream),
                        None,
                        "the upstream stalled mid-stream; charge what was delivered",
                    );
                    if policy.upstream_truncation == Billing::Refund {
                        s.billing = Billing::Refund;
                        s.usage = UsageBasis::None;
                        s.reason = "the upstream stalled mid-stream; the policy forgives truncated answers";
                    }
                    s
                } else {
                    // Like a 504: the upstream may still be working (and billing), so the
                    // request is not resent.
                    StreamSettlement {
                        billing: Billing::Refund,
                        usage: UsageBasis::None,
                        retry: false,
                        disable_channel: false,
                        fault: Some(Fault::Upstream),
                        outcome: None,
                        reason: "the upstream sent nothing before the stream timed out",
                    }
                }
            }
        }
    }
}

/// Classifies with the built-in rules: `Classifier::builtin().classify(status, body)`.
///
/// ```
/// let o = tariff_operations::outcome::classify(503, "分组 default 下模型 gemini-2.5-pro 无可用渠道(distributor)");
/// assert_eq!(o.fault, tariff_operations::outcome::Fault::Relay);
/// ```
pub fn classify(status: u16, body: &str) -> Outcome {
    Classifier::builtin().classify(status, body)
}

/// The fault, action and reason used when no rule matches, by status class.
///
/// - 401, 402, 403: `upstream_account` — the vendor refused the channel's key or account;
///   move the request and take the channel out (new-api disables on these by default).
/// - 408, 504, 524: `upstream`, refund, no retry — a timeout; the request may still run
///   and be billed upstream, so resending risks paying twice (new-api does not retry them).
/// - 429: `upstream`, retry, keep the channel — a rate limit that refills.
/// - other 4xx: `client` — the upstream rejected the request itself.
/// - 5xx and anything else (0 for a transport failure, a 200 carrying an error): `upstream`, retry.
///
/// A relay's own 401/403 (the *user's* key is bad) is the client's fault: classify the
/// upstream's errors here, or add a rule for the relay's own messages.
///
/// ```
/// use tariff_operations::outcome::{status_default, Fault};
/// assert_eq!(status_default(403).0, Fault::UpstreamAccount);
/// assert_eq!(status_default(422).0, Fault::Client);
/// assert!(status_default(500).1.retry);
/// assert!(!status_default(504).1.retry);
/// ```
pub fn status_default(status: u16) -> (Fault, Action, &'static str) {
    let refund = |retry, disable_channel| Action {
        billing: Billing::Refund,
        retry,
        disable_channel,
    };
    match status {
        401..=403 => (
            Fault::UpstreamAccount,
            refund(true, true),
            "no rule matched; 401/402/403 from the upstream: the channel's key or account was refused",
        ),
        408 | 504 | 524 => (
            Fault::Upstream,
            refund(false, false),
            "no rule matched; a timeout: the upstream may still be running the request, so it is not resent",
        ),
        429 => (
            Fault::Upstream,
            refund(true, false),
            "no rule matched; 429: rate limited upstream, try another channel",
        ),
        400..=499 => (
            Fault::Client,
            refund(false, false),
            "no rule matched; 4xx: the upstream rejected the request itself",
        ),
        _ => (
            Fault::Upstream,
            refund(true, false),
            "no rule matched; 5xx or no usable status: an upstream failure, try another channel",
        ),
    }
}

/// How a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd<'a> {
    /// The upstream finished (`[DONE]`, `message_stop`, end of body).
    Completed,
    /// The client went away before the end.
    ClientGone,
    /// The upstream sent an error (an error event or a failed connection) with this
    /// status (use 0 when there is none) and body.
    UpstreamError {
        /// HTTP status, or the status in the error event, or 0.
        status: u16,
        /// The error event or body.
        body: &'a str,
    },
    /// The upstream stopped sending within the streaming timeout.
    Timeout,
}

/// How far a stream got when it ended.
///
/// ```
/// let p = tariff_operations::outcome::StreamProgress::default();
/// assert!(!p.delivered_output && !p.usage_reported);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamProgress {
    /// Some generated output (not just pings or headers) reached the client.
    pub delivered_output: bool,
    /// The upstream reported usage before the end.
    pub usage_reported: bool,
}

/// An operator's choices for partial streams; the default follows new-api.
///
/// ```
/// use tariff_operations::outcome::{Billing, StreamPolicy};
/// let p = StreamPolicy::default();
/// assert_eq!((p.upstream_truncation, p.client_cancel_before_output), (Billing::Charge, Billing::Charge));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamPolicy {
    /// An upstream error or timeout after output was delivered: charge the delivered part
    /// (default) or refund everything.
    pub upstream_truncation: Billing,
    /// The client disconnecting before any output: charge the prompt (default; the
    /// upstream already read and billed it) or refund.
    pub client_cancel_before_output: Billing,
}

impl Default for StreamPolicy {
    fn default() -> Self {
        StreamPolicy {
            upstream_truncation: Billing::Charge,
            client_cancel_before_output: Billing::Charge,
        }
    }
}

/// Which usage a charge is priced from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageBasis {
    /// The usage the upstream reported.
    Reported,
    /// Estimated: the request's prompt plus the output actually delivered to the client.
    /// The bill must be marked as estimated.
    EstimatedFromDelivered,
    /// Nothing is charged.
    None,
}

/// The decision for a stream that ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamSettlement {
    /// Refund or charge the hold.
    pub billing: Billing,
    /// What a charge is priced from.
    pub usage: UsageBasis,
    /// Try another channel (only ever when nothing reached the client).
    pub retry: bool,
    /// Take the channel out of rotation.
    pub disable_channel: bool,
    /// Whose fault the early end was; `None` for a completed stream.
    pub fault: Option<Fault>,
    /// The classified upstream error, when there was one.
    pub outcome: Option<Outcome>,
    /// Why, in a sentence.
    pub reason: &'static str,
}

/// What [`extract`] found in a body.
struct Found {
    message: String,
    /// The error's type, code and status strings: `openai_error`, `RESOURCE_EXHAUSTED`...
    fields: Vec<String>,
}

/// Finds the error message in the common body shapes; falls back to the trimmed text.
fn extract(body: &str) -> Found {
    let trimmed = body.trim();
    let json = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        serde_json::from_str::<Value>(trimmed).ok()
    } else {
        // An SSE error event: `event: error` / `data: {...}`.
        trimmed.lines().find_map(|line| {
            let data = line.trim().strip_prefix("data:")?.trim();
            serde_json::from_str::<Value>(data)
                .ok()
                .filter(|v| v.is_object() || v.is_array())
        })
    };
    if let Some(v) = json {
        if let Some(found) = from_json(&v, 0) {
            return found;
        }
    }
    Found {
        message: trimmed.to_string(),
        fields: Vec::new(),
    }
}

fn from_json(v: &Value, depth: u8) -> Option<Found> {
    // Gemini sometimes wraps the error in an array.
    let v = match v {
        Value::Array(items) => items.first()?,
        v => v,
    };
    let obj = v.as_object()?;
    let mut fields = Vec::new();
    let mut push = |value: Option<&Value>| match value {
        Some(Value::String(s)) if !s.is_empty() => fields.push(s.clone()),
        Some(Value::Number(n)) => fields.push(n.to_string()),
        _ => {}
    };
    let message = match obj.get("error") {
        // OpenAI / Anthropic / Gemini / new-api: {"error": {"message", "type", "code", "status"}}
        Some(Value::Object(err)) => {
            for key in ["type", "code", "status", "param"] {
                push(err.get(key));
            }
            first_string(err, &["message", "msg", "detail", "description"])
        }
        // {"error": "text"}
        Some(Value::String(s)) => {
            push(obj.get("type"));
            push(obj.get("code"));
            Some(s.clone())
        }
        _ => {
            // new-api task/Midjourney, AWS, FastAPI and friends: a top-level message.
            for key in ["type", "code", "status", "__type", "error_code"] {
                push(obj.get(key));
            }
            first_string(
                obj,
                &[
                    "message",
                    "msg",
                    "detail",
                    "description",
                    "error_msg",
                    "errorMessage",
                ],
            )
        }
    }?;
    // new-api and some relays pass an upstream's JSON error along as a string.
    let inner = message.trim();
    if depth == 0 && inner.starts_with('{') {
        if let Some(mut found) = serde_json::from_str::<Value>(inner)
            .ok()
            .and_then(|v| from_json(&v, 1))
        {
            found.fields.extend(fields);
            return Some(found);
        }
    }
    Some(Found { message, fields })
}

fn first_string(obj: &serde_json::Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_maps_full_width_and_spaces() {
        assert_eq!(normalize("  Ａ（b）\u{3000}\n c，"), "a(b) c,");
    }

    #[test]
    fn number_placeholder_gives_back_punctuation() {
        let p = Pattern::new("limit: {n}, model: {model}").unwrap();
        assert!(p.is_match("limit: 8000000, model: gemini-3-pro"));
    }

    #[test]
    fn placeholder_first() {
        let p = Pattern::new("{n} tokens").unwrap();
        assert!(p.is_match("used 42 tokens"));
        assert!(!p.is_match("used many tokens"));
    }

    #[test]
    fn literal_braces_are_kept() {
        let p = Pattern::new("got {\"a\": 1}").unwrap();
        assert!(p.is_match("GOT {\"a\": 1} back"));
    }

    #[test]
    fn truncate_respects_chars() {
        assert_eq!(truncate("分组", 4), "分");
    }
}
