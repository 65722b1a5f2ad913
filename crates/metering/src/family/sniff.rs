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

/// A chat completion: Udio and Sora answer in the same format, under their own models.
fn chat_format(model: Option<&str>) -> Found {
    let m = model.unwrap_or("").to_ascii_lowercase();
    if m.starts_with("udio") || m.contains("/udio") {
        Found::One(Api::Udio)
    } else if m.starts_with("sora") || m.contains("/sora") {
        Found::One(Api::SoraChat)
    } else if m.is_empty() {
        Found::Group(CHAT_FORMAT)
    } else {
        Found::One(Api::OpenAiChat)
    }
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
}
