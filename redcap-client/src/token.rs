//! The API token: a secret that never shows up in output.

use std::fmt;

use zeroize::Zeroize;

/// Which kind of token REDCap issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A 32-character token for one project and one user.
    Project,
    /// A 64-character super token, which can create projects.
    Super,
}

/// A REDCap API token.
///
/// The shape is checked on construction (32 ASCII letters and digits, or 64 for a super
/// token, which is what REDCap's `^[A-Za-z0-9]+$` check and its token generator give).
/// `Debug` and `Display` never print it, and its memory is zeroed when it is dropped.
/// The only way to read it is [`ApiToken::expose_secret`], which the transport uses to
/// fill the `token` form field.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    secret: String,
    kind: TokenKind,
}

/// Why a string is not an API token. Never contains the string itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is empty.
    #[error("the API token is empty")]
    Empty,
    /// Leading or trailing whitespace, typically a newline read from a file.
    #[error("the API token has leading or trailing whitespace; remove it")]
    Whitespace,
    /// A character other than an ASCII letter or digit.
    #[error("the API token may hold only ASCII letters and digits")]
    Characters,
    /// Neither 32 (project) nor 64 (super token) characters long.
    #[error(
        "the API token has {0} characters; REDCap tokens have 32 (project) or 64 (super token)"
    )]
    Length(usize),
}

impl ApiToken {
    /// Checks the shape of `token` and keeps it as a secret.
    pub fn new(token: impl Into<String>) -> Result<Self, TokenError> {
        let mut secret = token.into();
        let verdict = Self::check(&secret);
        match verdict {
            Ok(kind) => Ok(Self { secret, kind }),
            Err(error) => {
                secret.zeroize();
                Err(error)
            }
        }
    }

    fn check(secret: &str) -> Result<TokenKind, TokenError> {
        if secret.is_empty() {
            return Err(TokenError::Empty);
        }
        if secret.trim() != secret {
            return Err(TokenError::Whitespace);
        }
        if !secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(TokenError::Characters);
        }
        match secret.len() {
            32 => Ok(TokenKind::Project),
            64 => Ok(TokenKind::Super),
            other => Err(TokenError::Length(other)),
        }
    }

    /// Project or super token.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The token itself. Don't log it.
    pub fn expose_secret(&self) -> &str {
        &self.secret
    }
}

impl Drop for ApiToken {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiToken({:?}, <redacted>)", self.kind)
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted API token>")
    }
}

impl std::str::FromStr for ApiToken {
    type Err = TokenError;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        Self::new(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "0123456789ABCDEF0123456789ABCDEF";

    #[test]
    fn accepts_project_and_super_tokens() {
        assert_eq!(ApiToken::new(PROJECT).unwrap().kind(), TokenKind::Project);
        let super_token = PROJECT.repeat(2);
        assert_eq!(ApiToken::new(super_token).unwrap().kind(), TokenKind::Super);
    }

    #[test]
    fn rejects_bad_shapes_without_echoing_them() {
        let cases = [
            ("", TokenError::Empty),
            (" 0123456789ABCDEF0123456789ABCDE", TokenError::Whitespace),
            ("0123456789ABCDEF0123456789ABCDE\n", TokenError::Whitespace),
            ("0123456789ABCDEF0123456789ABCDE-", TokenError::Characters),
            ("0123456789ABCDEF", TokenError::Length(16)),
        ];
        for (input, expected) in cases {
            let error = ApiToken::new(input).unwrap_err();
            assert_eq!(error, expected);
            if !input.trim().is_empty() {
                assert!(!error.to_string().contains(input.trim()));
            }
        }
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let token = ApiToken::new(PROJECT).unwrap();
        assert!(!format!("{token:?}").contains(PROJECT));
        assert!(!format!("{token}").contains(PROJECT));
        assert!(!format!("{:#?}", Some(&token)).contains(PROJECT));
        assert_eq!(token.expose_secret(), PROJECT);
    }
}
