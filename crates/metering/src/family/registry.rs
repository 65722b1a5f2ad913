//! The registry: what each API family does, in one table. Every dispatch on an [`Api`]
//! (meter an answer, read a stream event, fix a usage from the request alone, estimate a
//! request) is one lookup here, so adding a family is one entry plus its vendor file.

use super::bound::{self, Estimate, Subject};
use super::data::Facts;
use super::video::{self, Noted};
use super::{
    anthropic, audio, dashscope, embed, gemini, images, midjourney, moderation, music, openai,
    qwen_image, rerank, text, Api, ExtractError,
};
use crate::request::EstimateError;
use crate::usage::Usage;

/// How a family's answers are shaped, which decides how a body is read and whether the
/// request is needed to meter it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Token usage in a JSON body or a stream the stream reader merges itself.
    Text,
    /// Image families: a JSON result, or one event carrying it.
    Image,
    /// Audio, music, embeddings, rerank, moderation: a body read whole (audio bytes, a
    /// JSON record, or a stream of this family's own events).
    Media,
    /// Video tasks: one JSON task result, priced with its create request.
    Video,
}

/// Meters an answer, with its request when the caller has it; the facts of the models they
/// name (vendor defaults) come from `Facts`.
pub(crate) type Meter = fn(&[u8], Option<&[u8]>, Facts) -> Result<Usage, ExtractError>;
/// The usage one stream event reports, if any.
pub(crate) type Event = fn(&[u8]) -> Result<Option<Usage>, ExtractError>;
/// The usage a request alone fixes; the model serves when the request names none.
pub(crate) type Request = fn(&Subject, &[u8]) -> Noted;

/// Estimates a request of the family for a model (an upper bound of its usage).
pub(crate) type Estimator = fn(&Subject, &[u8]) -> Result<Estimate, EstimateError>;

/// One API family's entry.
#[derive(Clone, Copy)]
pub(crate) struct Family {
    /// How its answers are shaped.
    pub shape: Shape,
    /// Meters a complete answer.
    pub meter: Meter,
    /// Reads one event of its own stream format (`None`: the text families, whose events
    /// the stream reader merges with state of its own).
    pub event: Option<Event>,
    /// Fixes the usage from the request alone (speech, DALL·E, music, video tasks).
    pub request: Option<Request>,
    /// Estimates a request (`None`: the request alone fixes the usage, and
    /// [`Family::request`] is its estimate).
    pub estimate: Option<Estimator>,
}

const fn text(meter: Meter, estimate: Estimator) -> Family {
    Family {
        shape: Shape::Text,
        meter,
        event: None,
        request: None,
        estimate: Some(estimate),
    }
}

const fn media(meter: Meter, event: Option<Event>, request: Option<Request>) -> Family {
    Family {
        shape: Shape::Media,
        meter,
        event,
        request,
        estimate: None,
    }
}

const fn image(meter: Meter, request: Option<Request>, estimate: Estimator) -> Family {
    Family {
        shape: Shape::Image,
        meter,
        event: None,
        request,
        estimate: Some(estimate),
    }
}

const fn video(meter: Meter, request: Request) -> Family {
    Family {
        shape: Shape::Video,
        meter,
        event: None,
        request: Some(request),
        estimate: None,
    }
}

/// A media family whose request is estimated by `estimate` rather than fixed by it.
const fn media_estimated(meter: Meter, event: Option<Event>, estimate: Estimator) -> Family {
    Family {
        estimate: Some(estimate),
        ..media(meter, event, None)
    }
}

/// The entry of `api`.
pub(crate) fn of(api: Api) -> Family {
    match api {
        Api::OpenAiChat => text(
            |b, _, _| openai::chat(b),
            |m, r| bound::read(Api::OpenAiChat, m, r, openai::bound::chat),
        ),
        Api::OpenAiResponses => text(
            |b, _, _| openai::responses(b),
            |m, r| bound::read(Api::OpenAiResponses, m, r, openai::bound::responses),
        ),
        Api::OpenAiEmbeddings => text(
            |b, _, _| openai::embeddings(b),
            |m, r| bound::read(Api::OpenAiEmbeddings, m, r, openai::bound::embeddings),
        ),
        Api::Anthropic => text(
            |b, _, _| anthropic::message(b),
            |m, r| bound::read(Api::Anthropic, m, r, anthropic::bound::messages),
        ),
        Api::Gemini => text(
            |b, _, _| gemini::generate(b),
            |m, r| bound::read(Api::Gemini, m, r, gemini::bound::generate),
        ),
        Api::DashScope => text(
            |b, _, _| dashscope::generation(b),
            |m, r| bound::read(Api::DashScope, m, r, dashscope::bound::generation),
        ),
        Api::OpenAiSpeech => media(
            |b, r, _| audio::speech(b, r),
            Some(audio::speech_event),
            Some(|_, r| audio::speech_request(Api::OpenAiSpeech, r)),
        ),
        Api::OpenAiTranscription => media_estimated(
            |b, _, _| audio::transcription(b),
            Some(audio::transcription_event),
            |m, r| text::transcription(m.id, r),
        ),
        Api::MiniMaxTts => media(
            |b, r, _| audio::minimax(b, r),
            Some(audio::minimax_event),
            Some(|_, r| audio::speech_request(Api::MiniMaxTts, r)),
        ),
        Api::DoubaoTts => media(
            |b, r, _| audio::doubao(b, r),
            Some(audio::doubao_event),
            Some(|_, r| audio::speech_request(Api::DoubaoTts, r)),
        ),
        Api::Suno => media(
            |b, _, _| music::suno(b),
            None,
            Some(|m, r| music::suno_request(r, m.id)),
        ),
        Api::Udio => media(
            |b, _, _| music::udio(b),
            Some(music::udio_event),
            Some(|_, r| music::udio_request(r)),
        ),
        Api::GeminiEmbeddings => media_estimated(
            |b, r, _| embed::gemini(b, r),
            None,
            |m, r| text::gemini_embeddings(m.id, r),
        ),
        Api::Rerank => media_estimated(|b, r, _| rerank::rerank(b, r), None, text::rerank_estimate),
        Api::OpenAiModerations => media_estimated(
            |b, _, _| moderation::moderation(b),
            None,
            text::moderations_estimate,
        ),
        Api::OpenAiImages => image(
            images::openai,
            Some(images::openai_request),
            images::bound::openai,
        ),
        Api::Seedream => image(
            |b, _, _| images::seedream(b),
            None,
            |m, r| images::bound::seedream(m.id, r),
        ),
        Api::QwenImage => image(
            |b, r, _| qwen_image::result(b, r),
            None,
            images::bound::qwen_image,
        ),
        Api::Imagen => image(
            |b, _, _| images::imagen(b),
            None,
            |m, r| images::bound::imagen(m.id, r),
        ),
        Api::Midjourney => image(
            |b, _, _| midjourney::task(b),
            None,
            |m, r| images::bound::midjourney(m.id, r),
        ),
        Api::OpenAiVideo => video(video::openai::job, |m, r| video::openai::request_only(r, m)),
        Api::SoraChat => video(video::openai::chat, |m, r| {
            video::openai::chat_request(r, m)
        }),
        Api::Veo => video(
            |b, r, _| video::veo::operation(b, r),
            |_, r| video::veo::request_only(r),
        ),
        Api::WanVideo => video(
            |b, r, _| video::wan::task(b, r),
            |_, r| video::wan::request_only(r),
        ),
        Api::Seedance => video(
            |b, r, _| video::seedance::task(b, r),
            |m, r| video::seedance::request_only(r, m.id),
        ),
        Api::Kling => video(
            |b, r, _| video::kling::task(b, r),
            |_, r| video::kling::request_only(r),
        ),
        Api::Jimeng => video(
            |b, r, _| video::jimeng::task(b, r),
            |_, r| video::jimeng::request_only(r),
        ),
        Api::Luma => video(
            |b, r, _| video::luma::generation(b, r),
            |_, r| video::luma::request_only(r),
        ),
        Api::Runway => video(
            |b, r, _| video::runway::task(b, r),
            |_, r| video::runway::request_only(r),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_one_consistent_entry() {
        for api in Api::ALL {
            let f = of(api);
            // A family whose request alone fixes the bill is a media, image or video one.
            if f.request.is_some() {
                assert_ne!(f.shape, Shape::Text, "{api:?}");
            }
            // Own-format events belong to the media families only.
            if f.event.is_some() {
                assert_eq!(f.shape, Shape::Media, "{api:?}");
            }
            if f.shape == Shape::Video {
                assert!(f.request.is_some(), "{api:?}");
            }
            // Every family can be estimated: by its own estimator, or by what its request
            // alone fixes.
            assert!(f.estimate.is_some() || f.request.is_some(), "{api:?}");
        }
    }
}
