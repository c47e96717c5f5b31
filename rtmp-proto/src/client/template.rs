//! URL templates: `rtmp://server/live/cam{camera_id}_{stream_name}` expanded from named
//! variables, so one configuration line serves many cameras or streams.
//!
//! `{name}` is a placeholder (letters, digits, `_`); `{{` and `}}` are literal braces.
//! Values are inserted verbatim (no escaping), and the result must parse as an
//! [`RtmpUrl`]: a value containing `/` therefore moves the app/stream boundary like any
//! other slash in the URL would.

use std::collections::HashMap;
use std::fmt;

use super::error::TemplateError;
use super::url::{MAX_URL_LEN, RtmpUrl};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Var(String),
}

/// A parsed URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    parts: Vec<Part>,
}

impl UrlTemplate {
    /// Parses `{name}` placeholders and `{{` / `}}` escapes.
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        if template.len() > MAX_URL_LEN {
            return Err(TemplateError::TooLong {
                len: template.len(),
                max: MAX_URL_LEN,
            });
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = template.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.next_if(|&(_, c)| c == '{').is_some() => literal.push('{'),
                '}' if chars.next_if(|&(_, c)| c == '}').is_some() => literal.push('}'),
                '}' => return Err(TemplateError::UnmatchedClose { at }),
                '{' => {
                    let start = at + 1;
                    let end = template[start..]
                        .find('}')
                        .map(|i| start + i)
                        .ok_or(TemplateError::Unclosed { at })?;
                    let name = &template[start..end];
                    if name.is_empty() {
                        return Err(TemplateError::EmptyName { at });
                    }
                    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                        return Err(TemplateError::InvalidName {
                            name: name.to_owned(),
                            at,
                        });
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Var(name.to_owned()));
                    while chars.next_if(|&(i, _)| i <= end).is_some() {}
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(UrlTemplate { parts })
    }

    /// The placeholder names in order of appearance (repeats included).
    pub fn variables(&self) -> impl Iterator<Item = &str> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Fails with [`TemplateError::UnknownVariable`] when the template uses a name outside
    /// `known`: check a configured template once, at load time, not at the first reconnect.
    pub fn check_known(&self, known: &[&str]) -> Result<(), TemplateError> {
        match self.variables().find(|v| !known.contains(v)) {
            Some(v) => Err(TemplateError::UnknownVariable(v.to_owned())),
            None => Ok(()),
        }
    }

    /// Expands with values from a map and parses the result.
    pub fn expand(&self, vars: &HashMap<&str, &str>) -> Result<RtmpUrl, TemplateError> {
        self.expand_with(|name| vars.get(name).copied())
    }

    /// Expands with values from a closure (`None`: no such variable) and parses the result.
    pub fn expand_with<F, S>(&self, lookup: F) -> Result<RtmpUrl, TemplateError>
    where
        F: FnMut(&str) -> Option<S>,
        S: AsRef<str>,
    {
        let s = self.render_with(lookup)?;
        Ok(RtmpUrl::parse(&s)?)
    }

    /// The expanded text, not yet parsed as a URL.
    pub fn render_with<F, S>(&self, mut lookup: F) -> Result<String, TemplateError>
    where
        F: FnMut(&str) -> Option<S>,
        S: AsRef<str>,
    {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Var(name) => {
                    let v =
                        lookup(name).ok_or_else(|| TemplateError::MissingVariable(name.clone()))?;
                    out.push_str(v.as_ref());
                }
            }
            if out.len() > MAX_URL_LEN {
                return Err(TemplateError::TooLong {
                    len: out.len(),
                    max: MAX_URL_LEN,
                });
            }
        }
        Ok(out)
    }
}

/// The template text, braces escaped again: `UrlTemplate::parse(&t.to_string()) == Ok(t)`.
impl fmt::Display for UrlTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Literal(l) => f.write_str(&l.replace('{', "{{").replace('}', "}}"))?,
                Part::Var(v) => write!(f, "{{{v}}}")?,
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for UrlTemplate {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, TemplateError> {
        UrlTemplate::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_placeholders() {
        let t = UrlTemplate::parse("rtmp://h/a/{{x}}{id}_{{").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), ["id"]);
        assert_eq!(t.render_with(|_| Some("7")).unwrap(), "rtmp://h/a/{x}7_{");
        assert_eq!(UrlTemplate::parse(&t.to_string()).unwrap(), t);
    }
}
