//! The answers of the fault kinds that replace REDCap's answer with
//! another whole one: error statuses, the IP ban, the out-of-memory
//! error and a login page.

use crate::format::{Format, error_body};
use crate::reply::{ApiError, Reply};

/// What REDCap's error handler answers an API request for a PHP error it
/// has no special text for (`System::REDCapErrorHandler`).
pub(crate) const UNKNOWN_ERROR: &str =
    "An unknown error occurred. Please check your API parameters.";

/// REDCap's answer to an API request that ran out of memory
/// (`System::REDCapErrorHandler`, "Allowed memory size of" branch).
pub(crate) const OUT_OF_MEMORY: &str = "REDCap ran out of server memory. The request cannot be processed. Please try importing/exporting a smaller amount of data.";

/// The content type PHP sends when a script sets none (the ban and the
/// fatal error are printed before REDCap sets one).
const PHP_DEFAULT_TYPE: &str = "text/html; charset=UTF-8";

/// The fatal error PHP prints with `display_errors` and `html_errors`
/// on, for a 256 MiB `memory_limit`, in the middle of a record export.
const PHP_MEMORY_FATAL: &str = "<br />\n<b>Fatal error</b>:  Allowed memory size of 268435456 bytes exhausted (tried to allocate 20480 bytes) in <b>/var/www/html/redcap_v15.7.6/Classes/Records.php</b> on line <b>4321</b><br />\n";

/// REDCap's body for a banned IP (`Logging::checkBannedIp`): plain text,
/// whatever the request's format.
pub(crate) fn ban_text(ip: &str) -> String {
    format!("Your IP address ({ip}) has been banned due to suspected abuse.")
}

/// The 429 REDCap sends a banned IP.
pub(crate) fn banned(ip: &str) -> Reply {
    Reply {
        status: 429,
        content_type: PHP_DEFAULT_TYPE,
        body: ban_text(ip),
        file: None,
    }
}

/// `status` with REDCap's error body.
pub(crate) fn status(status: u16, message: Option<&str>, return_format: Format) -> Reply {
    ApiError {
        status,
        message: message.unwrap_or(UNKNOWN_ERROR).to_owned(),
    }
    .into_reply(return_format)
}

/// 429 or 503 as a proxy or rate limiter in front of REDCap sends it: a
/// short plain-text body (the `Retry-After` header is added by the HTTP
/// layer).
pub(crate) fn retry_after(status: u16) -> Reply {
    let text = if status == 429 {
        "Too Many Requests"
    } else {
        "Service Unavailable"
    };
    Reply {
        status,
        content_type: "text/plain; charset=utf-8",
        body: text.to_owned(),
        file: None,
    }
}

/// REDCap's out-of-memory answer: 500 with the message in the request's
/// `returnFormat`; or, when PHP printed the fatal error first, 200 (the
/// status line has gone out with PHP's error) with the error line
/// followed by the same message.
pub(crate) fn server_memory(display_errors: bool, return_format: Format) -> Reply {
    let message = error_body(return_format, OUT_OF_MEMORY);
    if display_errors {
        Reply {
            status: 200,
            content_type: PHP_DEFAULT_TYPE,
            body: format!("{PHP_MEMORY_FATAL}{message}"),
            file: None,
        }
    } else {
        Reply {
            status: 500,
            content_type: return_format.content_type(),
            body: message,
            file: None,
        }
    }
}

/// A 200 login page, as a REDCap behind single sign-on or with an expired
/// session shows instead of the API's answer.
pub(crate) fn login_page() -> Reply {
    Reply {
        status: 200,
        content_type: PHP_DEFAULT_TYPE,
        body: LOGIN_PAGE.to_owned(),
        file: None,
    }
}

const LOGIN_PAGE: &str = r#"<!DOCTYPE HTML>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<title>REDCap</title>
</head>
<body>
<div id="container">
<h3>Log In</h3>
<p>Please log in with your user name and password.</p>
<form method="post" action="" id="form" autocomplete="off">
<label for="username">Username:</label>
<input type="text" name="username" id="username" value="" />
<label for="password">Password:</label>
<input type="password" name="password" id="password" value="" />
<button type="submit" id="login_btn" name="submitted">Log In</button>
</form>
</div>
</body>
</html>
"#;
