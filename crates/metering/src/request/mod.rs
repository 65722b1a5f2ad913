//! What answers and requests share: the API families ([`Api`]), how a count was arrived
//! at ([`Basis`], [`Part`]), the errors of reading either side ([`ExtractError`],
//! [`EstimateError`]), and the data both sides price from (`seedance`).
//!
//! [`extract`](crate::extract) (answers → usage) and [`estimate`](crate::estimate)
//! (requests → bound) both import this module; it imports neither, and `extract` does not
//! import `estimate`.

pub(crate) mod by_model;
pub(crate) mod seedance;

use std::fmt;

use serde::Serialize;

/// The API families whose responses can be metered.
///
/// Non-exhaustive: a family added later is not a breaking change; match with a `_` arm,
/// or iterate [`Api::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Api {
    /// OpenAI Chat Completions (`/v1/chat/completions`), and legacy Completions.
    OpenAiChat,
    /// OpenAI Responses (`/v1/responses`).
    OpenAiResponses,
    /// OpenAI embeddings (`/v1/embeddings`), and relays' OpenAI-compatible embeddings.
    OpenAiEmbeddings,
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
    /// Gemini `generateContent` / `streamGenerateContent`.
    Gemini,
    /// OpenAI text-to-speech (`/v1/audio/speech`): audio bytes priced by the request's
    /// characters, or an event stream with token usage (`gpt-4o-mini-tts`).
    OpenAiSpeech,
    /// OpenAI transcriptions and translations (`/v1/audio/transcriptions`, `/translations`).
    OpenAiTranscription,
    /// MiniMax speech synthesis (`t2a_v2`).
    MiniMaxTts,
    /// Doubao (Volcengine) speech synthesis 2.0.
    DoubaoTts,
    /// Suno music tasks (the task record).
    Suno,
    /// Udio music through the chat-completions endpoint.
    Udio,
    /// Gemini `embedContent` / `batchEmbedContents`.
    GeminiEmbeddings,
    /// Rerank: Jina, Cohere and Xinference answers.
    Rerank,
    /// OpenAI moderations (`/v1/moderations`).
    OpenAiModerations,
    /// OpenAI Images (`/v1/images/generations`, `/edits`, `/variations`): gpt-image token
    /// usage, or DALL·E images counted from the response and sized from the request.
    OpenAiImages,
    /// Doubao Seedream on Volcengine Ark (`/api/v3/images/generations`), per image.
    Seedream,
    /// DashScope image synthesis (Z-Image, Wanx / Wan text-to-image), per image.
    QwenImage,
    /// Imagen through Gemini `predict`, per image.
    Imagen,
    /// A Midjourney task record (`/mj/task/{id}/fetch`), one request per action.
    Midjourney,
    /// OpenAI video jobs (`/v1/videos`: Sora, and the relay's OpenAI-compatible video API).
    OpenAiVideo,
    /// Sora through the chat format (`/v1/chat/completions` with a Sora model).
    SoraChat,
    /// Veo long-running operations (`:predictLongRunning`, Gemini API and Vertex AI).
    Veo,
    /// Wan (通义万相) video synthesis tasks on DashScope.
    WanVideo,
    /// Doubao Seedance content-generation tasks on Volcengine Ark.
    Seedance,
    /// Kling (可灵) video tasks.
    Kling,
    /// Jimeng (即梦) video tasks on Volcengine visual services.
    Jimeng,
    /// Luma Dream Machine generations.
    Luma,
    /// Runway generation tasks.
    Runway,
    /// DashScope native generation (Qwen: `{"output": ..., "usage": {"input_tokens": ...}}`).
    DashScope,
}

impl Api {
    /// Every family, in the order `--help` lists them.
    pub const ALL: [Api; 29] = [
        Api::OpenAiChat,
        Api::OpenAiResponses,
        Api::OpenAiEmbeddings,
        Api::Anthropic,
        Api::Gemini,
        Api::OpenAiSpeech,
        Api::OpenAiTranscription,
        Api::MiniMaxTts,
        Api::DoubaoTts,
        Api::Suno,
        Api::Udio,
        Api::GeminiEmbeddings,
        Api::Rerank,
        Api::OpenAiModerations,
        Api::OpenAiImages,
        Api::Seedream,
        Api::QwenImage,
        Api::Imagen,
        Api::Midjourney,
        Api::OpenAiVideo,
        Api::SoraChat,
        Api::Veo,
        Api::WanVideo,
        Api::Seedance,
        Api::Kling,
        Api::Jimeng,
        Api::Luma,
        Api::Runway,
        Api::DashScope,
    ];

    /// The format name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Api::OpenAiChat => "openai-chat",
            Api::OpenAiResponses => "openai-responses",
            Api::OpenAiEmbeddings => "openai-embeddings",
            Api::Anthropic => "anthropic",
            Api::Gemini => "gemini",
            Api::OpenAiSpeech => "openai-speech",
            Api::OpenAiTranscription => "openai-transcription",
            Api::MiniMaxTts => "minimax-tts",
            Api::DoubaoTts => "doubao-tts",
            Api::Suno => "suno",
            Api::Udio => "udio",
            Api::GeminiEmbeddings => "gemini-embeddings",
            Api::Rerank => "rerank",
            Api::OpenAiModerations => "openai-moderations",
            Api::OpenAiImages => "openai-images",
            Api::Seedream => "seedream",
            Api::QwenImage => "qwen-image",
            Api::Imagen => "imagen",
            Api::Midjourney => "midjourney",
            Api::OpenAiVideo => "openai-video",
            Api::SoraChat => "sora-chat",
            Api::Veo => "veo",
            Api::WanVideo => "wan-video",
            Api::Seedance => "seedance",
            Api::Kling => "kling",
            Api::Jimeng => "jimeng",
            Api::Luma => "luma",
            Api::Runway => "runway",
            Api::DashScope => "dashscope",
        }
    }

    /// What a body of this family is, for messages that name a body's family.
    pub const fn description(self) -> &'static str {
        match self {
            Api::OpenAiChat => "an OpenAI chat completion",
            Api::OpenAiResponses => "an OpenAI Responses body",
            Api::OpenAiEmbeddings => "an OpenAI embeddings list",
            Api::Anthropic => "an Anthropic Messages body",
            Api::Gemini => "a Gemini generateContent body",
            Api::OpenAiSpeech => "an OpenAI speech answer",
            Api::OpenAiTranscription => "an OpenAI transcription",
            Api::MiniMaxTts => "a MiniMax speech answer",
            Api::DoubaoTts => "a Doubao speech answer",
            Api::Suno => "a Suno task",
            Api::Udio => "a Udio chat completion",
            Api::GeminiEmbeddings => "a Gemini embeddings answer",
            Api::Rerank => "a rerank answer",
            Api::OpenAiModerations => "an OpenAI moderations answer",
            Api::OpenAiImages => "an OpenAI Images response with token usage",
            Api::Seedream => "a Seedream response (usage.generated_images)",
            Api::QwenImage => "a DashScope image task or result",
            Api::Imagen => "an Imagen predict response",
            Api::Midjourney => "a Midjourney task",
            Api::OpenAiVideo => "an OpenAI video job",
            Api::SoraChat => "a Sora chat completion",
            Api::Veo => "a Veo long-running operation",
            Api::WanVideo => "a DashScope (Wan) task",
            Api::Seedance => "a Volcengine Ark (Seedance) task",
            Api::Kling => "a Kling task",
            Api::Jimeng => "a Jimeng task",
            Api::Luma => "a Luma generation",
            Api::Runway => "a Runway task",
            Api::DashScope => "a DashScope native body",
        }
    }

    /// Parses a format name.
    pub fn parse(name: &str) -> Option<Api> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A response body that cannot be metered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Not JSON, or JSON of an unexpected shape.
    #[error(
        "{api} body is not valid: {message} at byte {offset}{}",
        path_note(path)
    )]
    Json {
        /// The format being read.
        api: Api,
        /// What was wrong.
        message: String,
        /// Byte offset in the input (0-based) near the error.
        offset: usize,
        /// JSON path of the offending value, when known.
        path: String,
    },
    /// The body belongs to another API family.
    #[error("this is not a {expected} body: it looks like {found}")]
    WrongFamily {
        /// The format asked for.
        expected: Api,
        /// What it looks like instead.
        found: String,
    },
    /// The body has no usage report (e.g. an error body, or a stream cut short).
    #[error("the {api} body has no usage report{}", hint_note(hint))]
    MissingUsage {
        /// The format being read.
        api: Api,
        /// What was seen instead, if anything useful.
        hint: String,
    },
    /// The family prices from the request (image size, seconds asked for, characters to
    /// speak), and none was given.
    #[error("{api} is priced from its request as well as its response; pass the request")]
    MissingRequest {
        /// The format being read.
        api: Api,
    },
    /// The reported numbers contradict each other.
    #[error("inconsistent {api} usage: {detail}")]
    Inconsistent {
        /// The format being read.
        api: Api,
        /// What does not add up, naming the fields.
        detail: String,
    },
    /// The task failed or was cancelled: nothing was delivered, so there is nothing to charge
    /// (a relay refunds the amount it held).
    #[error(
        "the {api} task {status}: nothing was delivered, so nothing is charged{}",
        hint_note(reason)
    )]
    TaskFailed {
        /// The format being read.
        api: Api,
        /// The task's status as the vendor wrote it.
        status: String,
        /// The vendor's reason, when it gives one.
        reason: String,
    },
    /// The task has not finished yet: there is nothing to meter.
    #[error("the {api} task is still `{status}`; meter it once it has finished")]
    TaskUnfinished {
        /// The format being read.
        api: Api,
        /// The task's status as the vendor wrote it.
        status: String,
    },
}

fn path_note(p: &str) -> String {
    if p.is_empty() || p == "." {
        String::new()
    } else {
        format!(" (field `{p}`)")
    }
}

fn hint_note(h: &str) -> String {
    if h.is_empty() {
        String::new()
    } else {
        format!(": {h}")
    }
}

/// How a part of an estimate was arrived at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Counted with the model's public tokenizer.
    Exact,
    /// A vendor's published formula applied to known inputs (image size, duration, pages,
    /// documented per-message overheads).
    Formula,
    /// Approximated: the character-class estimator, or an overhead the vendor does not
    /// publish.
    Estimated,
    /// A documented default for something the request does not say (an image's size, the
    /// `detail` chosen by `auto`): the largest value the formula allows where one exists.
    Default,
    /// The output side: a limit, not a count (the request's `max_tokens`, or the model's
    /// output limit when it has none).
    Bound,
}

/// One item of an estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Part {
    /// What was counted, e.g. `text`, `message framing`, `messages[1].content[1] image`.
    pub what: String,
    /// Tokens.
    pub tokens: u64,
    /// How.
    pub basis: Basis,
    /// Details: the formula and its source, the counter used, the field read.
    pub note: String,
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so that tables can align it.
        f.pad(match self {
            Basis::Exact => "exact",
            Basis::Formula => "formula",
            Basis::Estimated => "estimated",
            Basis::Default => "default",
            Basis::Bound => "bound",
        })
    }
}

/// Why a request could not be estimated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstimateError {
    /// Not JSON.
    #[error("{api} request is not valid JSON: {message} at byte {offset}")]
    Json {
        /// The format.
        api: Api,
        /// What was wrong.
        message: String,
        /// Byte offset (0-based) near the error.
        offset: usize,
    },
    /// The request belongs to another API family.
    #[error("the request is not of the {expected} family: it looks like {found}")]
    WrongFamily {
        /// The format asked for.
        expected: Api,
        /// What it looks like.
        found: String,
    },
    /// A field is missing or has the wrong shape.
    #[error("{api} request: field `{path}` {problem}")]
    Field {
        /// The format.
        api: Api,
        /// JSON path of the field.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The request sets no output limit and none is known for the model.
    #[error("model `{model}` has no known output limit and the request sets no `{field}`; set it, or set `max_output_tokens` on the model in its price table")]
    NoOutputBound {
        /// The model.
        model: String,
        /// The request field that would set one.
        field: String,
    },
    /// A medium whose tokens cannot be worked out (no formula for the model, an unreadable
    /// duration or page count).
    #[error("{api} request: `{path}`: {problem}")]
    Media {
        /// The format.
        api: Api,
        /// JSON path of the part.
        path: String,
        /// Why.
        problem: String,
    },
    /// A quantity of the request (pages, seconds, pixels, an output limit × `n`) comes to
    /// more tokens than a usage record holds ([`MAX_COUNT`](crate::MAX_COUNT)), or would
    /// overflow on the way: refused, never wrapped or saturated into a small hold.
    #[error("{api} request: `{path}`: {quantity}: more than a usage record holds (at most {max})", max = crate::MAX_COUNT)]
    TooLarge {
        /// The format.
        api: Api,
        /// JSON path of the part or field (or the usage bucket the parts add up to).
        path: String,
        /// What was read and what it came to.
        quantity: String,
    },
    /// The family has no request estimator (yet).
    #[error("requests of the {api} family cannot be estimated")]
    Unsupported {
        /// The format.
        api: Api,
    },
    /// A media request that cannot be read or does not fix its bill.
    #[error(transparent)]
    Request(#[from] ExtractError),
}

pub(crate) use crate::json_path::strip_position;

/// The byte offset of serde_json's 1-based (line, column) in `body`, clamped to its length.
pub(crate) fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut l = 1;
    for (i, b) in body.iter().enumerate() {
        if l == line {
            return (i + column.saturating_sub(1)).min(body.len());
        }
        if *b == b'\n' {
            l += 1;
        }
    }
    body.len()
}
