//! Telling a body's family from its shape, so that an answer of one family is never
//! metered as another.
//!
//! Several families share field names (`usage.input_tokens` and `usage.output_tokens`
//! appear in Anthropic, Responses, DashScope, GPT Image and speech answers), so an
//! extractor reading only the fields it knows would meter a foreign body and drop what it
//! does not know (an Anthropic stream read as Responses loses its cache reads). Before any
//! extractor runs, every body and every stream event is matched against the markers that
//! only one family (or one group of families sharing a format) writes; a body that shows
//! another family's markers is refused with [`ExtractError::WrongFamily`] naming it. A body
//! with no such marker is left to the extractor asked for.

use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{IgnoredAny, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Api, ExtractError};

/// Visitor methods that skip a scalar, answering `$none`.
macro_rules! skip_scalars {
    ($ty:ty, $none:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<$ty, E> {
            Ok($none)
        }
        fn visit_i64<E>(self, _: i64) -> Result<$ty, E> {
            Ok($none)
        }
        fn visit_u64<E>(self, _: u64) -> Result<$ty, E> {
            Ok($none)
        }
        fn visit_f64<E>(self, _: f64) -> Result<$ty, E> {
            Ok($none)
        }
        fn visit_unit<E>(self) -> Result<$ty, E> {
            Ok($none)
        }
        fn visit_none<E>(self) -> Result<$ty, E> {
            Ok($none)
        }
    };
}

/// A value read as `T` when it has `T`'s shape and skipped otherwise, so that one field
/// of an unexpected type (Anthropic's `content` list where Seedance has an object) does
/// not hide the other markers.
struct Loose<T>(Option<T>);

impl<T> Default for Loose<T> {
    fn default() -> Self {
        Loose(None)
    }
}

impl<T> Loose<T> {
    fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Loose<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Loose(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Loose<T>, E> {
                let d: serde::de::value::StrDeserializer<E> = v.into_deserializer();
                Ok(Loose(T::deserialize(d).ok()))
            }
            skip_scalars!(Loose<T>, Loose(None));
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A list whose items are read as [`Loose`]; anything but a list is skipped.
struct LooseList<T>(Option<Vec<Loose<T>>>);

impl<T> Default for LooseList<T> {
    fn default() -> Self {
        LooseList(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LooseList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LooseList<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LooseList<T>, A::Error> {
                // Only the first item is looked at; the rest are skipped unread.
                let first = seq.next_element::<Loose<T>>()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LooseList(Some(first.into_iter().collect())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LooseList<T>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LooseList(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<LooseList<T>, E> {
                Ok(LooseList(None))
            }
            skip_scalars!(LooseList<T>, LooseList(None));
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Families that speak the OpenAI chat-completion format; the model tells them apart.
const CHAT_FORMAT: &[Api] = &[Api::OpenAiChat, Api::Udio, Api::SoraChat];
/// Families answering with a DashScope `{"request_id", "output", "usage"}` envelope.
const DASHSCOPE_ENVELOPE: &[Api] = &[Api::DashScope, Api::QwenImage, Api::WanVideo];
/// Families answering with an OpenAI Images `{"created", "data"}` list.
const IMAGE_LIST: &[Api] = &[Api::OpenAiImages, Api::Seedream];

/// Anthropic Messages' body and stream event types.
const ANTHROPIC_TYPES: &[&str] = &[
    "message",
    "message_start",
    "message_delta",
    "message_stop",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "ping",
];

#[derive(Deserialize, Default)]
struct UsageMarks {
    #[serde(default)]
    cache_creation_input_tokens: Option<IgnoredAny>,
    #[serde(default)]
    cache_read_input_tokens: Option<IgnoredAny>,
    #[serde(default)]
    generated_images: Option<IgnoredAny>,
    #[serde(default)]
    image_count: Option<IgnoredAny>,
    #[serde(default)]
    video_count: Option<IgnoredAny>,
    #[serde(default)]
    text_words: Option<IgnoredAny>,
    #[serde(default)]
    input_tokens: Option<IgnoredAny>,
    #[serde(default)]
    output_tokens: Option<IgnoredAny>,
    /// Transcriptions: `"tokens"` or `"duration"`.
    #[serde(default, rename = "type")]
    kind: Option<IgnoredAny>,
    #[serde(default)]
    input_tokens_details: Loose<ImageDetails>,
}

#[derive(Deserialize, Default)]
struct ImageDetails {
    #[serde(default)]
    image_tokens: Option<IgnoredAny>,
    #[serde(default)]
    text_tokens: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
struct ResultMarks {
    #[serde(default)]
    relevance_score: Option<IgnoredAny>,
    #[serde(default)]
    flagged: Option<IgnoredAny>,
}

/// An object naming a model (Anthropic's `message`, a Responses event's `response`).
#[derive(Deserialize, Default)]
struct Named {
    #[serde(default)]
    model: Loose<String>,
}

#[derive(Deserialize, Default)]
struct ContentMarks {
    #[serde(default)]
    video_url: Option<IgnoredAny>,
}

/// The fields whose presence marks a family; everything else is skipped unread.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Marks {
    #[serde(default, rename = "type")]
    kind: Loose<String>,
    #[serde(default)]
    object: Loose<String>,
    #[serde(default)]
    model: Loose<String>,
    #[serde(default)]
    model_version: Loose<String>,
    #[serde(default)]
    message: Loose<Named>,
    #[serde(default)]
    response: Loose<Named>,
    #[serde(default)]
    usage: Loose<UsageMarks>,
    #[serde(default)]
    usage_metadata: Option<IgnoredAny>,
    #[serde(default)]
    candidates: Option<IgnoredAny>,
    #[serde(default)]
    prompt_feedback: Option<IgnoredAny>,
    #[serde(default)]
    choices: Option<IgnoredAny>,
    #[serde(default, rename = "request_id")]
    request_id: Option<IgnoredAny>,
    #[serde(default)]
    output: Option<IgnoredAny>,
    #[serde(default, rename = "base_resp")]
    base_resp: Option<IgnoredAny>,
    #[serde(default, rename = "extra_info")]
    extra_info: Option<IgnoredAny>,
    #[serde(default)]
    results: LooseList<ResultMarks>,
    #[serde(default)]
    meta: Option<IgnoredAny>,
    #[serde(default)]
    predictions: Option<IgnoredAny>,
    #[serde(default)]
    embeddings: Option<IgnoredAny>,
    #[serde(default)]
    embedding: Option<IgnoredAny>,
    #[serde(default)]
    created: Option<IgnoredAny>,
    #[serde(default)]
    data: Option<IgnoredAny>,
    #[serde(default)]
    action: Option<IgnoredAny>,
    #[serde(default)]
    prompt_en: Option<IgnoredAny>,
    #[serde(default)]
    content: Loose<ContentMarks>,
    #[serde(default)]
    done: Option<IgnoredAny>,
}

/// What a body's markers say it is: one family, or one of a group sharing a format.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    One(Api),
    Group(&'static [Api]),
}

fn sniff(m: &Marks) -> Option<Found> {
    use Found::{Group, One};
    if let Some(k) = m.kind.get().map(String::as_str) {
        if k.starts_with("response.") {
            return Some(One(Api::OpenAiResponses));
        }
        if ANTHROPIC_TYPES.contains(&k) {
            return Some(One(Api::Anthropic));
        }
        if k.starts_with("speech.audio.") {
            return Some(One(Api::OpenAiSpeech));
        }
        if k.starts_with("transcript.text.") {
            return Some(One(Api::OpenAiTranscription));
        }
        if k.starts_with("image_generation.") || k.starts_with("image_edit.") {
            return Some(Group(IMAGE_LIST));
        }
    }
    match m.object.get().map(String::as_str) {
        Some("response") => return Some(One(Api::OpenAiResponses)),
        Some("list") => return Some(One(Api::OpenAiEmbeddings)),
        Some("video") => return Some(One(Api::OpenAiVideo)),
        Some(o) if o.starts_with("chat.completion") || o == "text_completion" => {
            return Some(chat_format(m.model.get().map(String::as_str)));
        }
        _ => {}
    }
    // Gemini's other answers carry `usageMetadata` too.
    if m.predictions.is_some() {
        return Some(One(Api::Imagen));
    }
    if m.embeddings.is_some() || m.embedding.is_some() {
        return Some(One(Api::GeminiEmbeddings));
    }
    if m.usage_metadata.is_some() || m.candidates.is_some() || m.prompt_feedback.is_some() {
        return Some(One(Api::Gemini));
    }
    let u = m.usage.get();
    if u.is_some_and(|u| {
        u.cache_creation_input_tokens.is_some() || u.cache_read_input_tokens.is_some()
    }) {
        return Some(One(Api::Anthropic));
    }
    if m.choices.is_some() && m.output.is_none() {
        return Some(chat_format(m.model.get().map(String::as_str)));
    }
    if m.request_id.is_some() && m.output.is_some() {
        return Some(match u {
            Some(u) if u.image_count.is_some() => One(Api::QwenImage),
            Some(u) if u.video_count.is_some() => One(Api::WanVideo),
            Some(u) if u.input_tokens.is_some() || u.output_tokens.is_some() => One(Api::DashScope),
            _ => Group(DASHSCOPE_ENVELOPE),
        });
    }
    if let Some(u) = u {
        if u.generated_images.is_some() {
            return Some(One(Api::Seedream));
        }
        if u.text_words.is_some() {
            return Some(One(Api::DoubaoTts));
        }
        if u.kind.is_some() {
            return Some(One(Api::OpenAiTranscription));
        }
        if u.input_tokens_details
            .get()
            .is_some_and(|d| d.image_tokens.is_some() || d.text_tokens.is_some())
        {
            return Some(One(Api::OpenAiImages));
        }
    }
    if m.base_resp.is_some() || m.extra_info.is_some() {
        return Some(One(Api::MiniMaxTts));
    }
    let results = m.results.0.as_ref();
    if let Some(first) = results.and_then(|r| r.first()).and_then(Loose::get) {
        if first.relevance_score.is_some() {
            return Some(One(Api::Rerank));
        }
        if first.flagged.is_some() {
            return Some(One(Api::OpenAiModerations));
        }
    }
    if results.is_some() && m.meta.is_some() {
        return Some(One(Api::Rerank));
    }
    if m.created.is_some() && m.data.is_some() {
        return Some(Group(IMAGE_LIST));
    }
    if m.action.is_some() && m.prompt_en.is_some() {
        return Some(One(Api::Midjourney));
    }
    if m.content.get().is_some_and(|c| c.video_url.is_some()) {
        return Some(One(Api::Seedance));
    }
    if m.done.is_some() && m.output.is_none() && m.data.is_none() {
        return Some(One(Api::Veo));
    }
    None
}

/// A chat completion: Udio and Sora answer in the same format, under their own models,
/// which the `[[chat_format]]` entries of `estimate/models.toml` name.
fn chat_format(model: Option<&str>) -> Found {
    match model.filter(|m| !m.is_empty()) {
        None => Found::Group(CHAT_FORMAT),
        Some(m) => Found::One(chat_family(m)),
    }
}

/// The family a chat completion naming `model` belongs to.
pub(crate) fn chat_family(model: &str) -> Api {
    super::data::models()
        .chat_format
        .get(model)
        .and_then(|c| Api::parse(&c.api))
        .unwrap_or(Api::OpenAiChat)
}

/// Refuses a JSON body or stream event that shows the markers of another family than
/// `expected`. Bodies that are not a JSON object (audio, text, an array of chunks) and
/// objects without markers pass: their extractor decides.
pub(super) fn check_event(expected: Api, data: &[u8]) -> Result<(), ExtractError> {
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Ok(());
    }
    // A body that does not parse is reported by the extractor, with its offset and path.
    let Ok(m) = serde_json::from_slice::<Marks>(data) else {
        return Ok(());
    };
    let found = match sniff(&m) {
        None => return Ok(()),
        Some(Found::One(f)) if f == expected => return Ok(()),
        Some(Found::Group(g)) if g.contains(&expected) => return Ok(()),
        Some(Found::One(f)) => f,
        Some(Found::Group(g)) => g[0],
    };
    Err(ExtractError::WrongFamily {
        expected,
        found: format!("{} (use --api {found})", found.description()),
    })
}

/// What a pasted body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Form {
    /// A JSON answer (a response body, a task record).
    Response,
    /// A saved server-sent-event stream: its `data:` lines holding JSON.
    Stream,
    /// A JSON request (the markers of a request of some family, none of an answer).
    Request,
    /// Neither JSON nor a stream (audio bytes, text), or JSON that is not an object.
    Other,
}

/// What [`detect`] recognizes in a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    /// Whether it is an answer, a stream, a request.
    pub form: Form,
    /// The family it is, when its markers name exactly one.
    pub api: Option<Api>,
    /// The families it may be: the one of `api`, or, when the markers fit a format several
    /// families share (a chat completion naming no model: chat, Udio, Sora; a chat request
    /// with `messages`: OpenAI chat or Anthropic), each of them; empty when nothing marks
    /// it, and then any family may read it.
    pub candidates: Vec<Api>,
    /// The model the body names (`model`, Gemini's `modelVersion`, or the `model` of an
    /// Anthropic stream's `message` or a Responses event's `response`), if any.
    pub model: Option<String>,
    /// The stream events holding JSON (0 unless `form` is [`Form::Stream`]).
    pub events: usize,
}

impl Marks {
    /// The model the object names, where each family names it.
    fn model(&self) -> Option<&str> {
        [
            self.model.get(),
            self.model_version.get(),
            self.message.get().and_then(|n| n.model.get()),
            self.response.get().and_then(|n| n.model.get()),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .find(|m| !m.is_empty())
    }
}

/// Recognizes a pasted body — a response, a saved stream or a request — by the markers the
/// extractors check before metering (every body and stream event is matched against the
/// fields only one family, or one group sharing a format, writes) and, for a request, the
/// fields the estimators check (`contents`, `messages`, `input`). It reads nothing else and
/// never fails: a body with no markers comes back with no family.
///
/// ```
/// use tariff_metering::extract::{detect, Api, Form};
/// let d = detect(br#"{"type":"message","model":"claude-sonnet-4-5","usage":{"input_tokens":3,"output_tokens":1}}"#);
/// assert_eq!((d.form, d.api, d.model.as_deref()), (Form::Response, Some(Api::Anthropic), Some("claude-sonnet-4-5")));
/// // A stream: its events are read until one names the family.
/// let sse = b"data: {\"object\":\"chat.completion.chunk\",\"model\":\"udio-130\",\"choices\":[]}\n\ndata: [DONE]\n\n";
/// let d = detect(sse);
/// assert_eq!((d.form, d.api, d.events), (Form::Stream, Some(Api::Udio), 1));
/// // A chat request may be OpenAI's or Anthropic's: both are candidates.
/// let d = detect(br#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#);
/// assert_eq!((d.form, d.api), (Form::Request, None));
/// assert_eq!(d.candidates, [Api::OpenAiChat, Api::Anthropic]);
/// ```
pub fn detect(body: &[u8]) -> Detected {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return match serde_json::from_slice::<Marks>(body) {
            Ok(m) => one_object(&m, body),
            Err(_) => detected(Form::Other, None, None, 0),
        };
    }
    // A stream: the `data:` lines holding a JSON object.
    let mut events = 0;
    let mut found = None;
    let mut model = None;
    for line in body.split(|b| *b == b'\n') {
        let Some(data) = line.strip_prefix(b"data:") else {
            continue;
        };
        let data = data.trim_ascii();
        if data.first() != Some(&b'{') {
            continue;
        }
        let Ok(m) = serde_json::from_slice::<Marks>(data) else {
            continue;
        };
        events += 1;
        model = model.or_else(|| m.model().map(str::to_string));
        found = match (found, sniff(&m)) {
            (Some(Found::One(a)), _) => Some(Found::One(a)),
            (_, Some(Found::One(a))) => Some(Found::One(a)),
            (f, g) => f.or(g),
        };
    }
    if events == 0 {
        return detected(Form::Other, None, None, 0);
    }
    // A chat stream names its model in its chunks: the model tells the family.
    if let (Some(Found::Group(CHAT_FORMAT)), Some(m)) = (&found, &model) {
        found = Some(Found::One(chat_family(m)));
    }
    detected(Form::Stream, found, model, events)
}

fn one_object(m: &Marks, body: &[u8]) -> Detected {
    let model = m.model().map(str::to_string);
    if let Some(f) = sniff(m) {
        return detected(Form::Response, Some(f), model, 0);
    }
    // No answer's markers: a request, by the fields the estimators tell families apart by.
    #[derive(Deserialize)]
    struct Request {
        #[serde(default)]
        contents: Option<IgnoredAny>,
        #[serde(default)]
        messages: Option<IgnoredAny>,
        #[serde(default)]
        input: Option<IgnoredAny>,
    }
    const CHAT_REQUEST: &[Api] = &[Api::OpenAiChat, Api::Anthropic];
    const INPUT_REQUEST: &[Api] = &[Api::OpenAiResponses, Api::OpenAiEmbeddings];
    let found = match serde_json::from_slice::<Request>(body) {
        Ok(r) if r.contents.is_some() => Found::One(Api::Gemini),
        Ok(r) if r.messages.is_some() => match model.as_deref().map(chat_family) {
            Some(a) if a != Api::OpenAiChat => Found::One(a),
            _ => Found::Group(CHAT_REQUEST),
        },
        Ok(r) if r.input.is_some() => Found::Group(INPUT_REQUEST),
        _ => return detected(Form::Response, None, model, 0),
    };
    detected(Form::Request, Some(found), model, 0)
}

fn detected(form: Form, found: Option<Found>, model: Option<String>, events: usize) -> Detected {
    let (api, candidates) = match found {
        Some(Found::One(a)) => (Some(a), vec![a]),
        Some(Found::Group(g)) => (None, g.to_vec()),
        None => (None, Vec::new()),
    };
    Detected {
        form,
        api,
        candidates,
        model,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(body: &str) -> Option<Found> {
        sniff(&serde_json::from_str(body).unwrap())
    }

    #[test]
    fn markers() {
        assert_eq!(
            found(r#"{"type":"message_delta","usage":{"output_tokens":3}}"#),
            Some(Found::One(Api::Anthropic))
        );
        assert_eq!(
            found(r#"{"type":"response.completed","response":{}}"#),
            Some(Found::One(Api::OpenAiResponses))
        );
        assert_eq!(
            found(r#"{"object":"chat.completion","model":"udio-130"}"#),
            Some(Found::One(Api::Udio))
        );
        assert_eq!(
            found(r#"{"object":"chat.completion"}"#),
            Some(Found::Group(CHAT_FORMAT))
        );
        assert_eq!(found(r#"{"usage":{"input_tokens":1}}"#), None);
        // A field of an unexpected shape does not hide the others.
        assert_eq!(
            found(r#"{"content":[{"type":"text","text":"x"}],"type":"message","usage":{}}"#),
            Some(Found::One(Api::Anthropic))
        );
        assert_eq!(
            found(r#"{"results":"none","usage":5,"type":7,"object":"chat.completion"}"#),
            Some(Found::Group(CHAT_FORMAT))
        );
        assert!(check_event(Api::Anthropic, br#"{"usage":{"input_tokens":1}}"#).is_ok());
        assert!(matches!(
            check_event(Api::OpenAiResponses, br#"{"type":"message_start"}"#),
            Err(ExtractError::WrongFamily { .. })
        ));
    }

    #[test]
    fn detect_reads_bodies_streams_and_requests() {
        // A Gemini answer names its model in `modelVersion`.
        let d = detect(br#"{"candidates":[],"usageMetadata":{},"modelVersion":"gemini-2.5-pro"}"#);
        assert_eq!((d.form, d.api), (Form::Response, Some(Api::Gemini)));
        assert_eq!(d.model.as_deref(), Some("gemini-2.5-pro"));
        // An Anthropic stream: the family from its event types, the model from `message`.
        let sse = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\"}}\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\n";
        let d = detect(sse);
        assert_eq!(
            (d.form, d.api, d.events),
            (Form::Stream, Some(Api::Anthropic), 2)
        );
        assert_eq!(d.model.as_deref(), Some("claude-sonnet-4-5"));
        // A chat completion naming a Sora model is a Sora answer; one naming none may be any
        // of the chat-format families.
        let d = detect(br#"{"object":"chat.completion","model":"openai/sora-2","choices":[]}"#);
        assert_eq!(d.api, Some(Api::SoraChat));
        let d = detect(br#"{"object":"chat.completion","choices":[]}"#);
        assert_eq!((d.api, d.candidates.as_slice()), (None, CHAT_FORMAT));
        // Requests: Gemini's `contents`, a Udio chat request by its model.
        let d = detect(br#"{"contents":[{"parts":[{"text":"hi"}]}]}"#);
        assert_eq!((d.form, d.api), (Form::Request, Some(Api::Gemini)));
        let d = detect(br#"{"model":"udio-130","messages":[]}"#);
        assert_eq!((d.form, d.api), (Form::Request, Some(Api::Udio)));
        let d = detect(br#"{"model":"text-embedding-3-small","input":"hi"}"#);
        assert_eq!(d.candidates, [Api::OpenAiResponses, Api::OpenAiEmbeddings]);
        // Nothing recognizable: no family, never an error.
        for body in [
            &b"ID3\x04\x00"[..],
            b"",
            b"{not json",
            b"[1,2]",
            b"data: [DONE]\n\n",
        ] {
            let d = detect(body);
            assert_eq!(
                (d.form, d.api, d.candidates.len()),
                (Form::Other, None, 0),
                "{body:?}"
            );
        }
        let d = detect(br#"{"id":"x"}"#);
        assert_eq!((d.form, d.api), (Form::Response, None));
    }
}
