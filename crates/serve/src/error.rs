//! The one error shape every route answers with: `{"error": {"kind", "message"}}` and the
//! status its kind stands for.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tariff::PriceError;

/// What went wrong, as the `kind` field names it; each kind has one HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 400: the request body or a parameter is wrong (the message names the field).
    BadRequest,
    /// 401: no bearer token, or one the server does not know.
    Unauthorized,
    /// 403: a relay token on an admin route.
    Forbidden,
    /// 402: the balance cannot cover the hold.
    InsufficientBalance,
    /// 404: unknown account, hold or route.
    NotFound,
    /// 405: the route exists but not with this method.
    MethodNotAllowed,
    /// 409: a repeat of a request id or credit key with a different body, or an operation
    /// the hold's state refuses (settling a refunded hold).
    Conflict,
    /// 413: the body is larger than the configured limit.
    TooLarge,
    /// 422: an unknown model, or one without a price for this usage.
    Unpriced,
    /// 422: a reload found a problem in a price table (the tables in force stay).
    InvalidTables,
    /// 503: the ledger database could not be reached or refused the transaction.
    Unavailable,
}

impl Kind {
    /// The `kind` string of the JSON answer.
    pub fn name(self) -> &'static str {
        match self {
            Kind::BadRequest => "bad_request",
            Kind::Unauthorized => "unauthorized",
            Kind::Forbidden => "forbidden",
            Kind::InsufficientBalance => "insufficient_balance",
            Kind::NotFound => "not_found",
            Kind::MethodNotAllowed => "method_not_allowed",
            Kind::Conflict => "conflict",
            Kind::TooLarge => "payload_too_large",
            Kind::Unpriced => "unpriced_model",
            Kind::InvalidTables => "invalid_tables",
            Kind::Unavailable => "unavailable",
        }
    }

    /// The HTTP status of the kind.
    pub fn status(self) -> StatusCode {
        match self {
            Kind::BadRequest => StatusCode::BAD_REQUEST,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::InsufficientBalance => StatusCode::PAYMENT_REQUIRED,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::Unpriced => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::InvalidTables => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// An error answer: a kind and a message for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// What went wrong.
    pub kind: Kind,
    /// Why, naming the field or the thing.
    pub message: String,
}

impl ApiError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    /// A 400 naming what was wrong.
    pub fn bad(message: impl Into<String>) -> Self {
        ApiError::new(Kind::BadRequest, message)
    }
}

impl From<PriceError> for ApiError {
    fn from(e: PriceError) -> Self {
        // An overflow is the usage's fault (quantities too large), not the model's.
        let kind = match e {
            PriceError::Overflow { .. } => Kind::BadRequest,
            _ => Kind::Unpriced,
        };
        ApiError::new(kind, e.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::new(Kind::Unavailable, format!("ledger database: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": {"kind": self.kind.name(), "message": self.message}
        });
        (self.kind.status(), axum::Json(body)).into_response()
    }
}
