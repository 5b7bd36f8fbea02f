//! The one place where errors become HTTP responses, all in the [`ApiError`] JSON shape.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use attune_api::{ApiError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// The request lacks valid credentials. The message says which check failed.
    #[error("{0}")]
    Unauthorized(String),
    /// An embedded admin call without a valid session token: a 401 that tells App Bridge to
    /// fetch a fresh token and retry.
    #[error("{0}")]
    InvalidSession(String),
    #[error("{0}")]
    Forbidden(String),
    /// The platform did not answer as it should.
    #[error("{0}")]
    BadGateway(String),
    /// Temporarily unable (e.g. the event queue is full); the client should retry.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation_failed",
            AppError::BadRequest(_) => "bad_request",
            AppError::NotFound(_) => "not_found",
            AppError::Unauthorized(_) | AppError::InvalidSession(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::BadGateway(_) => "platform_unavailable",
            AppError::Unavailable(_) => "unavailable",
            AppError::Db(_) | AppError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) | AppError::InvalidSession(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (message, fields) = match self {
            AppError::Validation(fields) => {
                let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
                (
                    format!("invalid fields: {}", names.join(", ")),
                    fields.clone(),
                )
            }
            AppError::Db(e) => {
                tracing::error!(error = %e, "database error");
                ("internal error".to_owned(), Vec::new())
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ("internal error".to_owned(), Vec::new())
            }
            other => (other.to_string(), Vec::new()),
        };
        let mut resp = HttpResponse::build(self.status_code());
        if matches!(self, AppError::InvalidSession(_)) {
            // App Bridge retries once with a fresh session token when it sees this; other
            // 401s (webhooks, app proxy, storefront, install) would not get better by retrying.
            resp.insert_header(("X-Shopify-Retry-Invalid-Session-Request", "1"));
        }
        if matches!(self, AppError::Unavailable(_)) {
            resp.insert_header((header::RETRY_AFTER, "2"));
        }
        resp.insert_header((header::CACHE_CONTROL, "no-store"))
            .json(ApiError {
                error: self.code().to_owned(),
                message,
                fields,
            })
    }
}

/// JSON body errors (wrong content type, syntax, size) as 4xx naming the problem.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _req| {
            use actix_web::error::JsonPayloadError as E;
            let message = match &err {
                E::ContentType => {
                    "request body must be JSON (Content-Type: application/json)".to_owned()
                }
                E::OverflowKnownLength { length, limit } => {
                    format!("request body is {length} bytes; the limit is {limit}")
                }
                E::Overflow { limit } => format!("request body exceeds {limit} bytes"),
                E::Deserialize(e) => format!("request body is not valid JSON: {e}"),
                other => format!("could not read request body: {other}"),
            };
            AppError::BadRequest(message).into()
        })
}

/// Query-string errors as 400s naming the parameter.
pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _req| {
        AppError::BadRequest(format!("invalid query string: {err}")).into()
    })
}

/// Path-segment errors (e.g. a non-numeric id) as 400s.
pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default()
        .error_handler(|err, _req| AppError::BadRequest(format!("invalid path: {err}")).into())
}

/// Form body errors (demo storefront forms) as 400s naming the problem.
pub fn form_config() -> actix_web::web::FormConfig {
    actix_web::web::FormConfig::default()
        .limit(16 * 1024)
        .error_handler(|err, _req| AppError::BadRequest(format!("invalid form: {err}")).into())
}

/// Error responses made outside our handlers (an unsupported method, a missing static
/// file, ...) get the same JSON shape as ours. Responses already in JSON pass unchanged.
pub fn json_error_bodies<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::middleware::ErrorHandlerResponse;
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, old) = res.into_parts();
    let error = match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        s if s >= 500 => "internal",
        _ => "request_failed",
    };
    let message = format!(
        "{} {}: {}",
        req.method(),
        req.path(),
        status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase()
    );
    let mut builder = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    let new = builder.json(ApiError {
        error: error.to_owned(),
        message,
        fields: Vec::new(),
    });
    Ok(ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
