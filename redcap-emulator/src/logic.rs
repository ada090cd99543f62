//! REDCap's logic (`filterLogic`): the syntax REDCap 15.7.6 accepts and
//! PHP 8's loose comparison rules it inherits.
//!
//! Supported: field references `[f]`, `[event][f]`, checkbox choices
//! `[f(code)]`, numbers, quoted strings, `true`/`false`, comparisons
//! (`= <> != < <= > >=`), `and`/`or` (also `AND`/`OR`, `&&`, `||`), `!`,
//! parentheses, `+ - * /`, and the functions `if`, `contains`,
//! `not_contain`, `starts_with`, `ends_with`, `sum`, `min`, `max`, `mean`,
//! `abs`, `round`, `length`, `lower`, `upper`, `trim`, `isnumber`,
//! `isinteger`, `isblankormissingcode`.

use redcap_schema::{FieldType, validation::DataType};

use crate::layout::Layout;

/// A field reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldRef {
    pub(crate) event: Option<String>,
    pub(crate) field: String,
    pub(crate) code: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Field(FieldRef),
    Num(f64),
    Str(String),
    Bool(bool),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    /// `a or b or …`, kept flat so that long chains cost no depth.
    Any(Vec<Expr>),
    /// `a and b and …`, kept flat like [`Expr::Any`].
    All(Vec<Expr>),
    Call(String, Vec<Expr>),
}

/// How deeply parentheses, function calls, `!` and operator chains may
/// nest. REDCap's PHP parser has no such bound, but logic nested deeper
/// than this is never written by hand, and the bound keeps parsing and
/// evaluation within the stack of the thread serving the request.
const MAX_DEPTH: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Field(FieldRef),
    Num(f64),
    Str(String),
    Ident(String),
    Op(Op),
    Not,
    LParen,
    RParen,
    Comma,
}

/// A logic expression that failed to parse; REDCap answers such a
/// `filterLogic` with a generic 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError(pub(crate) String);

/// A parsed expression.
#[derive(Debug, Clone)]
pub(crate) struct Logic {
    expr: Expr,
    refs: Vec<FieldRef>,
}

const FUNCTIONS: &[&str] = &[
    "if",
    "contains",
    "not_contain",
    "starts_with",
    "ends_with",
    "sum",
    "min",
    "max",
    "mean",
    "abs",
    "round",
    "length",
    "lower",
    "upper",
    "trim",
    "isnumber",
    "isinteger",
    "isblankormissingcode",
];

/// Parses logic. `Ok(None)` when it references no field: REDCap then does
/// not apply the filter at all.
pub(crate) fn parse(text: &str) -> Result<Option<Logic>, ParseError> {
    let cleaned: String = text
        .lines()
        .filter(|line| {
            let t = line.trim_start();
            !(t.starts_with("//") || t.starts_with('#'))
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace(":value]", "]");
    let tokens = tokenize(&cleaned)?;
    let refs: Vec<FieldRef> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Field(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    if refs.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    if parser.pos != parser.tokens.len() {
        return Err(ParseError("Parser did not consume all tokens!".into()));
    }
    Ok(Some(Logic { expr, refs }))
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_lowercase()
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |i: usize| ParseError(format!("Unable to find next token at position {i}"));
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' | '\n' => i += 1,
            '(' => {
                out.push(Token::LParen);
                i += 1;
            }
            ')' => {
                out.push(Token::RParen);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '+' => {
                out.push(Token::Op(Op::Add));
                i += 1;
            }
            '-' => {
                out.push(Token::Op(Op::Sub));
                i += 1;
            }
            '*' => {
                out.push(Token::Op(Op::Mul));
                i += 1;
            }
            '/' => {
                out.push(Token::Op(Op::Div));
                i += 1;
            }
            '=' => {
                // `==` is a parse error on the server (it becomes `===`,
                // then fails), while `=` alone is equality.
                if chars.get(i + 1) == Some(&'=') {
                    return Err(err(i));
                }
                out.push(Token::Op(Op::Eq));
                i += 1;
            }
            '<' => match chars.get(i + 1) {
                Some('>') => {
                    out.push(Token::Op(Op::Ne));
                    i += 2;
                }
                Some('=') => {
                    out.push(Token::Op(Op::Le));
                    i += 2;
                }
                _ => {
                    out.push(Token::Op(Op::Lt));
                    i += 1;
                }
            },
            '>' => {
                if chars.get(i + 1) == Some(&'=') {
                    out.push(Token::Op(Op::Ge));
                    i += 2;
                } else {
                    out.push(Token::Op(Op::Gt));
                    i += 1;
                }
            }
            '!' => {
                if chars.get(i + 1) == Some(&'=') {
                    out.push(Token::Op(Op::Ne));
                    i += 2;
                } else {
                    out.push(Token::Not);
                    i += 1;
                }
            }
            '&' if chars.get(i + 1) == Some(&'&') => {
                out.push(Token::Op(Op::And));
                i += 2;
            }
            '|' if chars.get(i + 1) == Some(&'|') => {
                out.push(Token::Op(Op::Or));
                i += 2;
            }
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|d| *d == c)
                    .ok_or_else(|| err(i))?;
                let s: String = chars[i + 1..i + 1 + end].iter().collect();
                out.push(Token::Str(s.replace('\\', "")));
                i += end + 2;
            }
            '[' => {
                let (field, next) = field_ref(&chars, i).ok_or_else(|| err(i))?;
                match field {
                    Some(f) => out.push(Token::Field(f)),
                    None => return Err(err(i)),
                }
                i = next;
            }
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                if s.ends_with('.') || s.matches('.').count() > 1 {
                    return Err(err(start));
                }
                if i < chars.len() && chars[i].is_ascii_alphabetic() {
                    return Err(err(i));
                }
                out.push(Token::Num(s.parse().map_err(|_| err(start))?));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                match word.as_str() {
                    "and" | "AND" => out.push(Token::Op(Op::And)),
                    "or" | "OR" => out.push(Token::Op(Op::Or)),
                    w if w.eq_ignore_ascii_case("true") => {
                        out.push(Token::Ident("true".into()));
                    }
                    w if w.eq_ignore_ascii_case("false") => {
                        out.push(Token::Ident("false".into()));
                    }
                    w if FUNCTIONS.contains(&w) => out.push(Token::Ident(word)),
                    _ => {
                        return Err(ParseError(format!(
                            "Parse error due to illegal functions: {word}"
                        )));
                    }
                }
            }
            _ => return Err(err(i)),
        }
    }
    Ok(out)
}

/// Reads `[event][field(code)]` (the event part optional) starting at a
/// `[`. `Some(None)` is a bracketed name that is not a field reference.
fn field_ref(chars: &[char], start: usize) -> Option<(Option<FieldRef>, usize)> {
    let read_bracket = |at: usize| -> Option<(String, usize)> {
        if chars.get(at) != Some(&'[') {
            return None;
        }
        let end = chars[at + 1..].iter().position(|c| *c == ']')?;
        Some((chars[at + 1..at + 1 + end].iter().collect(), at + end + 2))
    };
    let (first, next) = read_bracket(start)?;
    let (event, inner, next) = match read_bracket(next) {
        Some((second, after)) if !second.chars().all(|c| c.is_ascii_digit()) => {
            (Some(first), second, after)
        }
        _ => (None, first, next),
    };
    // An instance suffix (`[f][2]`) is read and ignored: instances are
    // resolved by the row being tested.
    let next = match read_bracket(next) {
        Some((s, after)) if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() => after,
        _ => next,
    };
    let (name, code) = match inner.find('(') {
        Some(open) if inner.ends_with(')') => (
            inner[..open].to_owned(),
            Some(inner[open + 1..inner.len() - 1].to_owned()),
        ),
        _ => (inner.clone(), None),
    };
    let valid = name.chars().next().is_some_and(is_name_start) && name.chars().all(is_name_char);
    if !valid {
        return Some((None, next));
    }
    let event = event.filter(|e| e != "event-name");
    Some((
        Some(FieldRef {
            event,
            field: name,
            code,
        }),
        next,
    ))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Open parentheses, calls, `!` and chain links above the token being
    /// read.
    depth: usize,
}

fn too_deep() -> ParseError {
    ParseError(format!("logic nested more than {MAX_DEPTH} levels deep"))
}

impl Parser {
    /// Runs `inner` one level deeper, refusing logic nested past
    /// [`MAX_DEPTH`].
    fn nested<T>(
        &mut self,
        inner: impl FnOnce(&mut Parser) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn eat_op(&mut self, ops: &[Op]) -> Option<Op> {
        match self.peek() {
            Some(Token::Op(op)) if ops.contains(op) => {
                let op = *op;
                self.pos += 1;
                Some(op)
            }
            _ => None,
        }
    }

    fn binary(
        &mut self,
        ops: &[Op],
        next: fn(&mut Parser) -> Result<Expr, ParseError>,
        chain: bool,
    ) -> Result<Expr, ParseError> {
        let mut left = next(self)?;
        // Each link of a left-leaning chain (`1 + 2 + …`) is one level
        // deeper for evaluation.
        let mut links = 0;
        while let Some(op) = self.eat_op(ops) {
            links += 1;
            if self.depth + links > MAX_DEPTH {
                return Err(too_deep());
            }
            let right = next(self)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
            if !chain && matches!(self.peek(), Some(Token::Op(o)) if ops.contains(o)) {
                // PHP rejects chained comparisons (`1 < 2 < 3`).
                return Err(ParseError("chained comparison".into()));
            }
        }
        Ok(left)
    }

    /// A flat list of operands joined by `op` (`or`, `and`): one node
    /// however long the chain, as tools build such chains from ID lists.
    fn flat(
        &mut self,
        op: Op,
        next: fn(&mut Parser) -> Result<Expr, ParseError>,
        make: fn(Vec<Expr>) -> Expr,
    ) -> Result<Expr, ParseError> {
        let first = next(self)?;
        if self.eat_op(&[op]).is_none() {
            return Ok(first);
        }
        let mut terms = vec![first];
        loop {
            terms.push(next(self)?);
            if self.eat_op(&[op]).is_none() {
                return Ok(make(terms));
            }
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        self.flat(Op::Or, Parser::and, Expr::Any)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        self.flat(Op::And, Parser::equality, Expr::All)
    }

    fn equality(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[Op::Eq, Op::Ne], Parser::relational, false)
    }

    fn relational(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[Op::Lt, Op::Le, Op::Gt, Op::Ge], Parser::additive, false)
    }

    fn additive(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[Op::Add, Op::Sub], Parser::multiplicative, true)
    }

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[Op::Mul, Op::Div], Parser::unary, true)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Some(Token::Not) => {
                self.pos += 1;
                let inner = self.nested(Parser::unary)?;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(Token::Op(Op::Sub)) => {
                self.pos += 1;
                // A sign belongs to a number literal only.
                match self.peek() {
                    Some(Token::Num(_)) => Ok(Expr::Neg(Box::new(self.primary()?))),
                    _ => Err(ParseError("sign before a non-number".into())),
                }
            }
            Some(Token::Op(Op::Add)) => {
                self.pos += 1;
                match self.peek() {
                    Some(Token::Num(_)) => self.primary(),
                    _ => Err(ParseError("sign before a non-number".into())),
                }
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let token = self
            .peek()
            .cloned()
            .ok_or_else(|| ParseError("unexpected end of logic".into()))?;
        self.pos += 1;
        match token {
            Token::Field(f) => Ok(Expr::Field(f)),
            Token::Num(n) => Ok(Expr::Num(n)),
            Token::Str(s) => Ok(Expr::Str(s)),
            Token::LParen => {
                let inner = self.nested(Parser::or)?;
                match self.peek() {
                    Some(Token::RParen) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(ParseError("missing )".into())),
                }
            }
            Token::Ident(name) if name == "true" || name == "false" => {
                Ok(Expr::Bool(name == "true"))
            }
            Token::Ident(name) => {
                if self.peek() != Some(&Token::LParen) {
                    return Err(ParseError(format!("function {name} without arguments")));
                }
                self.pos += 1;
                let mut args = Vec::new();
                if self.peek() == Some(&Token::RParen) {
                    self.pos += 1;
                } else {
                    loop {
                        args.push(self.nested(Parser::or)?);
                        match self.peek() {
                            Some(Token::Comma) => self.pos += 1,
                            Some(Token::RParen) => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(ParseError("bad function arguments".into())),
                        }
                    }
                }
                if name == "if" && args.len() != 3 {
                    return Err(ParseError("Bad arguments for IF-statement!".into()));
                }
                Ok(Expr::Call(name, args))
            }
            _ => Err(ParseError("unexpected token".into())),
        }
    }
}

/// A value during evaluation, with PHP's types.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Num(f64),
    Bool(bool),
}

/// A runtime failure (PHP `TypeError`, division by zero, unknown field):
/// the row simply does not match.
struct Fail;

/// Where field values come from while one row is tested.
pub(crate) trait Env {
    /// The stored value of a field (the `{form}_complete` status included)
    /// for the row being tested, or of the named event's row; `""` when
    /// blank. For a checkbox choice: `"1"`/`"0"`, or `""` where the form
    /// does not apply. `None` for a field the project does not have.
    fn value(&self, event: Option<&str>, field: &str, code: Option<&str>) -> Option<String>;
}

impl Logic {
    /// The field references, for callers that decide which rows to test.
    pub(crate) fn refs(&self) -> &[FieldRef] {
        &self.refs
    }

    /// Evaluates the logic for one row; runtime failures are `false`.
    pub(crate) fn matches(&self, layout: &Layout<'_>, env: &dyn Env) -> bool {
        let ctx = Eval { layout, env };
        match ctx.eval(&self.expr) {
            Ok(v) => truthy(&v),
            Err(Fail) => false,
        }
    }
}

struct Eval<'a, 'b> {
    layout: &'a Layout<'b>,
    env: &'a dyn Env,
}

impl Eval<'_, '_> {
    /// Whether REDCap wraps the field in `chkNull()`, making it a number
    /// (or NAN when blank).
    fn numeric_kind(&self, f: &FieldRef) -> bool {
        if f.code.is_some() {
            return true;
        }
        let missing_numeric = self
            .layout
            .schema
            .project
            .missing_data_codes
            .iter()
            .all(|c| is_number(&c.code));
        if self.layout.is_status(&f.field) {
            return missing_numeric;
        }
        let Some(field) = self.layout.field(&f.field) else {
            return false;
        };
        match field.field_type {
            FieldType::Calc
            | FieldType::Slider
            | FieldType::Yesno
            | FieldType::Truefalse
            | FieldType::File => true,
            FieldType::Text => field.validation.is_some_and(|v| {
                matches!(
                    v.data_type(),
                    DataType::Integer | DataType::Number | DataType::NumberCommaDecimal
                )
            }),
            FieldType::Radio | FieldType::Dropdown | FieldType::Checkbox => {
                missing_numeric && field.choices.iter().all(|c| is_number(&c.code))
            }
            _ => false,
        }
    }

    fn field(&self, f: &FieldRef) -> Result<Val, Fail> {
        if f.code.is_none()
            && self
                .layout
                .field(&f.field)
                .is_some_and(|x| x.field_type == FieldType::Checkbox)
        {
            return Err(Fail);
        }
        let raw = self
            .env
            .value(f.event.as_deref(), &f.field, f.code.as_deref())
            .ok_or(Fail)?;
        if self.numeric_kind(f) {
            Ok(chk_null(&raw))
        } else {
            Ok(Val::Str(raw))
        }
    }

    fn eval(&self, e: &Expr) -> Result<Val, Fail> {
        Ok(match e {
            Expr::Field(f) => self.field(f)?,
            Expr::Num(n) => Val::Num(*n),
            Expr::Str(s) => Val::Str(s.clone()),
            Expr::Bool(b) => Val::Bool(*b),
            Expr::Not(inner) => Val::Bool(!truthy(&self.eval(inner)?)),
            Expr::Neg(inner) => Val::Num(-to_num(&self.eval(inner)?)?),
            Expr::Any(terms) => {
                for term in terms {
                    if truthy(&self.eval(term)?) {
                        return Ok(Val::Bool(true));
                    }
                }
                Val::Bool(false)
            }
            Expr::All(terms) => {
                for term in terms {
                    if !truthy(&self.eval(term)?) {
                        return Ok(Val::Bool(false));
                    }
                }
                Val::Bool(true)
            }
            Expr::Binary(op @ (Op::Eq | Op::Ne), a, b)
                if is_blank_literal(a) || is_blank_literal(b) =>
            {
                // REDCap rewrites `x = ''` into `is_nan_null(x)`.
                let other = if is_blank_literal(a) { b } else { a };
                let blank = match self.eval(other)? {
                    Val::Str(s) => s.is_empty() || s == "NaN",
                    Val::Num(n) => n.is_nan(),
                    Val::Bool(b) => !b,
                };
                Val::Bool(if *op == Op::Eq { blank } else { !blank })
            }
            Expr::Binary(op, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                match op {
                    Op::Add => Val::Num(to_num(&x)? + to_num(&y)?),
                    Op::Sub => Val::Num(to_num(&x)? - to_num(&y)?),
                    Op::Mul => Val::Num(to_num(&x)? * to_num(&y)?),
                    Op::Div => {
                        let d = to_num(&y)?;
                        if d == 0.0 {
                            return Err(Fail);
                        }
                        Val::Num(to_num(&x)? / d)
                    }
                    _ => {
                        let both_fields =
                            matches!(**a, Expr::Field(_)) && matches!(**b, Expr::Field(_));
                        Val::Bool(compare(*op, &x, &y, both_fields))
                    }
                }
            }
            Expr::Call(name, args) => self.call(name, args)?,
        })
    }

    fn call(&self, name: &str, args: &[Expr]) -> Result<Val, Fail> {
        if name == "if" {
            let cond = truthy(&self.eval(&args[0])?);
            return self.eval(&args[if cond { 1 } else { 2 }]);
        }
        let values: Vec<Val> = args
            .iter()
            .map(|a| self.eval(a))
            .collect::<Result<_, _>>()?;
        let text = |i: usize| values.get(i).map(to_text).ok_or(Fail);
        let numbers = || -> Vec<f64> {
            values
                .iter()
                .filter_map(|v| match v {
                    Val::Num(n) if !n.is_nan() => Some(*n),
                    Val::Str(s) if is_php_numeric(s.trim()) => s.trim().parse().ok(),
                    _ => None,
                })
                .collect()
        };
        Ok(match name {
            "contains" => Val::Bool(text(0)?.to_lowercase().contains(&text(1)?.to_lowercase())),
            "not_contain" => Val::Bool(!text(0)?.to_lowercase().contains(&text(1)?.to_lowercase())),
            "starts_with" => Val::Bool(
                text(0)?
                    .to_lowercase()
                    .starts_with(&text(1)?.to_lowercase()),
            ),
            "ends_with" => Val::Bool(text(0)?.to_lowercase().ends_with(&text(1)?.to_lowercase())),
            "sum" | "min" | "max" | "mean" => {
                let ns = numbers();
                if ns.is_empty() {
                    Val::Num(f64::NAN)
                } else {
                    Val::Num(match name {
                        "sum" => ns.iter().sum(),
                        "min" => ns.iter().copied().fold(f64::INFINITY, f64::min),
                        "max" => ns.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        _ => ns.iter().sum::<f64>() / ns.len() as f64,
                    })
                }
            }
            "abs" => Val::Num(to_num(values.first().ok_or(Fail)?)?.abs()),
            "round" => {
                let x = values.first().ok_or(Fail)?;
                let dp = match values.get(1) {
                    Some(v) => to_num(v)?,
                    None => 0.0,
                };
                match x {
                    Val::Str(s) if !is_php_numeric(s.trim()) => Val::Num(f64::NAN),
                    _ => {
                        let factor = 10f64.powi(dp as i32);
                        Val::Num((to_num(x)? * factor).round() / factor)
                    }
                }
            }
            "length" => Val::Num(text(0)?.len() as f64),
            "lower" => Val::Str(text(0)?.to_ascii_lowercase()),
            "upper" => Val::Str(text(0)?.to_ascii_uppercase()),
            "trim" => Val::Str(text(0)?.trim().to_owned()),
            "isnumber" => Val::Bool(is_number(text(0)?.trim())),
            "isinteger" => Val::Bool(is_integer_text(text(0)?.trim())),
            "isblankormissingcode" => {
                let t = match values.first().ok_or(Fail)? {
                    Val::Num(n) if n.is_nan() => String::new(),
                    v => to_text(v),
                };
                Val::Bool(
                    t.is_empty()
                        || self
                            .layout
                            .schema
                            .project
                            .missing_data_codes
                            .iter()
                            .any(|c| c.code == t),
                )
            }
            _ => return Err(Fail),
        })
    }
}

fn is_blank_literal(e: &Expr) -> bool {
    matches!(e, Expr::Str(s) if s.is_empty() || s == "NaN")
}

/// REDCap's `chkNull`: numeric text (a decimal comma allowed) becomes a
/// number, anything else NAN.
fn chk_null(raw: &str) -> Val {
    let text = if raw.matches(',').count() == 1 && is_php_numeric(&raw.replace(',', ".")) {
        raw.replace(',', ".")
    } else {
        raw.to_owned()
    };
    if is_php_numeric(text.trim()) && !text.is_empty() {
        Val::Num(text.trim().parse().unwrap_or(f64::NAN))
    } else {
        Val::Num(f64::NAN)
    }
}

/// PHP 8's numeric strings (leading/trailing whitespace trimmed by the
/// caller): sign, digits with one optional `.`, optional exponent.
pub(crate) fn is_php_numeric(s: &str) -> bool {
    let s = s.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r');
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = mantissa.chars().filter(char::is_ascii_digit).count();
    let valid_mantissa = digits > 0
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.matches('.').count() <= 1;
    let valid_exponent = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    valid_mantissa && valid_exponent
}

/// REDCap's `isnumber()`: numeric and without leading zeros.
fn is_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    is_php_numeric(s) && !(body.len() > 1 && body.starts_with('0') && !body.starts_with("0."))
}

fn is_integer_text(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit())
        && !(body.len() > 1 && body.starts_with('0'))
}

fn truthy(v: &Val) -> bool {
    match v {
        Val::Bool(b) => *b,
        Val::Num(n) => *n != 0.0,
        Val::Str(s) => !(s.is_empty() || s == "0"),
    }
}

fn to_num(v: &Val) -> Result<f64, Fail> {
    match v {
        Val::Num(n) => Ok(*n),
        Val::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Val::Str(s) if s.is_empty() => Err(Fail),
        Val::Str(s) if is_php_numeric(s) => s.trim().parse().map_err(|_| Fail),
        Val::Str(_) => Err(Fail),
    }
}

/// A number as PHP prints it.
fn num_text(n: f64) -> String {
    if n.is_nan() {
        "NAN".into()
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn to_text(v: &Val) -> String {
    match v {
        Val::Str(s) => s.clone(),
        Val::Num(n) => num_text(*n),
        Val::Bool(true) => "1".into(),
        Val::Bool(false) => String::new(),
    }
}

/// PHP 8 loose comparison.
fn compare(op: Op, x: &Val, y: &Val, both_fields: bool) -> bool {
    use std::cmp::Ordering;
    if both_fields {
        // `chkNullCompare`: NAN becomes '' on both sides.
        let nan_blank = |v: &Val| match v {
            Val::Num(n) if n.is_nan() => Val::Str(String::new()),
            other => other.clone(),
        };
        let (a, b) = (nan_blank(x), nan_blank(y));
        let blank_a = a == Val::Str(String::new());
        let blank_b = b == Val::Str(String::new());
        if (blank_a && op == Op::Lt) || (blank_b && op == Op::Gt) {
            return false;
        }
        return compare(op, &a, &b, false);
    }
    let ordering: Option<Ordering> = match (x, y) {
        (Val::Bool(_), _) | (_, Val::Bool(_)) => Some(truthy(x).cmp(&truthy(y))),
        (Val::Num(a), Val::Num(b)) => a.partial_cmp(b),
        (Val::Num(a), Val::Str(s)) => {
            if is_php_numeric(s) {
                s.trim().parse::<f64>().ok().and_then(|b| a.partial_cmp(&b))
            } else if a.is_nan() {
                return op == Op::Ne;
            } else {
                Some(num_text(*a).as_str().cmp(s.as_str()))
            }
        }
        (Val::Str(s), Val::Num(b)) => {
            if is_php_numeric(s) {
                s.trim().parse::<f64>().ok().and_then(|a| a.partial_cmp(b))
            } else if b.is_nan() {
                return op == Op::Ne;
            } else {
                Some(s.as_str().cmp(num_text(*b).as_str()))
            }
        }
        (Val::Str(a), Val::Str(b)) => {
            if is_php_numeric(a) && is_php_numeric(b) {
                let (p, q) = (a.trim().parse::<f64>(), b.trim().parse::<f64>());
                match (p, q) {
                    (Ok(p), Ok(q)) => p.partial_cmp(&q),
                    _ => Some(a.cmp(b)),
                }
            } else {
                Some(a.as_bytes().cmp(b.as_bytes()))
            }
        }
    };
    match ordering {
        None => op == Op::Ne,
        Some(o) => match op {
            Op::Eq => o == Ordering::Equal,
            Op::Ne => o != Ordering::Equal,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, &'static str>);

    impl Env for Map {
        fn value(&self, _event: Option<&str>, field: &str, code: Option<&str>) -> Option<String> {
            match code {
                Some(code) => {
                    let checked = self.0.get(field)?.split(',').any(|c| c == code);
                    Some(if checked { "1" } else { "0" }.into())
                }
                None => self.0.get(field).map(|v| v.to_string()),
            }
        }
    }

    fn schema() -> redcap_schema::ProjectSchema {
        let csv = "field_name,form_name,section_header,field_type,field_label,select_choices_or_calculations,field_note,text_validation_type_or_show_slider_number\n\
                   record_id,f,,text,ID,,,\n\
                   age,f,,text,Age,,,integer\n\
                   name,f,,text,Name,,,\n\
                   dob,f,,text,DOB,,,date_ymd\n\
                   sex,f,,radio,Sex,\"1, M | 2, F\",,\n\
                   cb,f,,checkbox,CB,\"1, a | 2, b | 3, c\",,\n";
        redcap_schema::read(csv.as_bytes(), "d.csv").unwrap()
    }

    fn check(logic: &str, values: &[(&'static str, &'static str)]) -> bool {
        let schema = schema();
        let layout = Layout::new(&schema);
        let mut map: HashMap<&'static str, &'static str> = [
            ("record_id", "1"),
            ("age", ""),
            ("name", ""),
            ("dob", ""),
            ("sex", ""),
            ("cb", ""),
            ("f_complete", ""),
        ]
        .into_iter()
        .collect();
        map.extend(values.iter().copied());
        parse(logic).unwrap().unwrap().matches(&layout, &Map(map))
    }

    #[test]
    fn redcap_test_vectors() {
        assert!(check(
            "[age] = 5 or [age] = 6 and [name] = 'x'",
            &[("age", "5")]
        ));
        assert!(check("[age]>=5 and [age]<>6 and [age]!=6", &[("age", "5")]));
        assert!(check("!([age] = 6)", &[("age", "5")]));
        assert!(check("[cb(1)] = '1' and [cb(2)] = 0", &[("cb", "1")]));
        assert!(!check("[cb] = '1'", &[("cb", "1")]));
        assert!(check(
            "contains([name],'world')",
            &[("name", "Hello World")]
        ));
        assert!(check("if([age] > 3, 'y', 'n') = 'y'", &[("age", "5")]));
        assert!(check("[name] = '10'", &[("name", "10.0")]));
    }

    #[test]
    fn blank_semantics() {
        assert!(check("[age] = ''", &[("age", "")]));
        assert!(!check("[age] = 0", &[]));
        assert!(check("[age] <> 0", &[]));
        assert!(!check("[age] < 30", &[]));
        assert!(check("[name] < 5", &[]));
        assert!(check("[dob] < '2020-01-01'", &[]));
        assert!(!check("[sex] < 2", &[]));
        assert!(check("[f_complete] = ''", &[]));
        assert!(!check("[f_complete] = 0", &[]));
        assert!(check("[age] = [sex]", &[]));
    }

    #[test]
    fn syntax_errors_and_ignored_logic() {
        assert!(parse("[age] == 5").is_err());
        assert!(parse("[age] = 5 And [age] = 6").is_err());
        assert!(parse("not([age] = 6)").is_err());
        assert!(parse("[age] = 1e1").is_err());
        assert!(parse("[age] = 5.").is_err());
        assert!(parse("[age] > 3 > 0").is_err());
        assert_eq!(parse("1 = 1").unwrap().map(|_| ()), None);
        assert_eq!(parse("true").unwrap().map(|_| ()), None);
        assert!(parse("// c\n[age] = 5").unwrap().is_some());
        let logic = parse("[baseline_arm_1][age] = 5").unwrap().unwrap();
        assert_eq!(logic.refs()[0].event.as_deref(), Some("baseline_arm_1"));
    }

    #[test]
    fn long_flat_chains_are_one_level() {
        let ors = vec!["[age] = 7"; 1000].join(" or ") + " or [age] = 5";
        assert!(check(&ors, &[("age", "5")]));
        assert!(!check(&ors, &[("age", "6")]));
        let ands = vec!["[age] > 1"; 1000].join(" and ");
        assert!(check(&ands, &[("age", "5")]));
        assert!(!check(&ands, &[("age", "0")]));
    }

    #[test]
    fn nesting_past_the_limit_is_a_parse_error() {
        let nested = |n: usize| format!("{}[age] = 5{}", "(".repeat(n), ")".repeat(n));
        assert!(check(&nested(MAX_DEPTH - 1), &[("age", "5")]));
        assert_eq!(parse(&nested(1000)).err(), Some(too_deep()));
        assert_eq!(
            parse(&format!("{}[age] = 5", "!".repeat(1000))).err(),
            Some(too_deep())
        );
        let calls = format!("{}[age]{} = 5", "abs(".repeat(1000), ")".repeat(1000));
        assert_eq!(parse(&calls).err(), Some(too_deep()));
        let sums = format!("[age]{} = 5", " + 1".repeat(1000));
        assert_eq!(parse(&sums).err(), Some(too_deep()));
    }
}
