//! A YAML document as a tree of nodes with the places they stand in the
//! source (granit-parser's events: the parser serde-saphyr reads with), for
//! code that edits a file where its nodes are (the keyless exam copy) or
//! reads parts of it on their own (the loader's item-by-item report). Keys
//! are named as serde-saphyr names struct fields: a `!!binary` key is its
//! decoded text.

use base64::Engine as _;
use granit_parser::{Event, Options, Parser, ScalarStyle, Span};
use std::iter::Peekable;

/// One node of the document and where it stands (byte offsets; `end` is
/// where its content ends, trailing blank lines of a block scalar not
/// included; `props` where its tag or anchor begins, if it has one before
/// `start`).
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) start: usize,
    pub(crate) props: usize,
    pub(crate) end: usize,
    pub(crate) line: u64,
    pub(crate) column: u64,
    pub(crate) anchored: bool,
    pub(crate) kind: NodeKind,
}

#[derive(Debug)]
pub(crate) enum NodeKind {
    /// The text as the loader reads it: a `!!binary` scalar decoded.
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>, bool),
    Alias,
}

impl Node {
    pub(crate) fn text(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            NodeKind::Map(e, _) => e,
            _ => &[],
        }
    }

    pub(crate) fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Seq(i) => i,
            _ => &[],
        }
    }

    pub(crate) fn is_flow_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_, true))
    }

    /// A value not written at all (`? hint` with no `:`, `hint:` with
    /// nothing after it): the parser places it anywhere near.
    pub(crate) fn is_empty_scalar(&self) -> bool {
        matches!(self.kind, NodeKind::Scalar(_)) && self.start == self.end
    }

    /// The value of `key` in this mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entries().iter().find(|(k, _)| k.text() == Some(key)).map(|(_, v)| v)
    }

    /// Is there an alias (`*name`) in this node or anywhere inside it?
    pub(crate) fn has_alias(&self) -> bool {
        match &self.kind {
            NodeKind::Alias => true,
            NodeKind::Seq(items) => items.iter().any(Node::has_alias),
            NodeKind::Map(entries, _) => entries.iter().any(|(k, v)| k.has_alias() || v.has_alias()),
            NodeKind::Scalar(_) => false,
        }
    }

    /// This node, or the first node inside it, that carries an anchor.
    pub(crate) fn first_anchored(&self) -> Option<&Node> {
        if self.anchored {
            return Some(self);
        }
        match &self.kind {
            NodeKind::Seq(items) => items.iter().find_map(Node::first_anchored),
            NodeKind::Map(entries, _) => {
                entries.iter().find_map(|(k, v)| k.first_anchored().or_else(|| v.first_anchored()))
            }
            _ => None,
        }
    }
}

type Events<'a> = Peekable<Parser<'a, granit_parser::StrInput<'a>>>;

pub(crate) fn offset(m: &granit_parser::Marker) -> Result<usize, String> {
    m.byte_offset().ok_or_else(|| "no byte offset".to_string())
}

fn next<'a>(it: &mut Events<'a>) -> Result<(Event<'a>, Span), String> {
    match it.next() {
        Some(Ok(e)) => Ok(e),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("the document ends early".into()),
    }
}

/// Where the anchor (`&name`) of the node just read begins: the parser
/// reports it in an event right after the node's own.
fn anchor_start(it: &mut Events) -> Result<Option<usize>, String> {
    if let Some(Ok((Event::Anchor(..), _))) = it.peek() {
        let (_, sp) = next(it)?;
        return offset(&sp.start).map(Some);
    }
    Ok(None)
}

/// Does the loader read a scalar with this tag as base64 (`!!binary`,
/// `!binary`: serde-saphyr decodes either into the text of a key)?
fn is_binary(tag: &granit_parser::Tag) -> bool {
    let full = format!("{}{}", tag.handle(), tag.suffix());
    full.strip_prefix("tag:yaml.org,2002:").or_else(|| full.strip_prefix('!')).map(|r| r.trim_start_matches('!'))
        == Some("binary")
}

/// The text of a `!!binary` scalar (base64, white space allowed), if it is UTF-8.
fn decode_binary(s: &str) -> Option<String> {
    let clean: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(clean).ok()?;
    String::from_utf8(bytes).ok()
}

/// How deep exam-copy follows the YAML's nesting (a lesson's checkpoint
/// text is ten levels down): deeper input is refused rather than read on
/// a stack that runs out.
const MAX_DEPTH: usize = 64;

/// The node that starts with `ev`, `depth` levels down.
fn node<'a>(src: &str, it: &mut Events<'a>, ev: Event<'a>, span: Span, depth: usize) -> Result<Node, String> {
    if depth > MAX_DEPTH {
        return Err(format!("the YAML nests deeper than {MAX_DEPTH} levels"));
    }
    let start = offset(&span.start)?;
    let tag_at = span.tag_start.as_ref().and_then(|m| m.byte_offset());
    let (line, column) = (span.start.line() as u64, span.start.col() as u64 + 1);
    let mk = |end: usize, anchor: Option<usize>, kind: NodeKind| Node {
        start,
        props: [Some(start), tag_at, anchor].into_iter().flatten().min().unwrap_or(start),
        end,
        line,
        column,
        anchored: anchor.is_some(),
        kind,
    };
    match ev {
        Event::Scalar(value, style, _, tag) => {
            let mut end = offset(&span.end)?;
            if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                // A block scalar's span runs on over the blank lines after it.
                let b = src.as_bytes();
                while end > start && b.get(end - 1).is_some_and(|c| c.is_ascii_whitespace()) {
                    end -= 1;
                }
            }
            let text = match tag {
                Some(t) if is_binary(&t) => decode_binary(&value).unwrap_or_else(|| value.into_owned()),
                _ => value.into_owned(),
            };
            let anchor = anchor_start(it)?;
            Ok(mk(end, anchor, NodeKind::Scalar(text)))
        }
        Event::Alias(_) => Ok(mk(offset(&span.end)?, None, NodeKind::Alias)),
        Event::SequenceStart(..) => {
            let anchor = anchor_start(it)?;
            let mut items = Vec::new();
            loop {
                let (ev, sp) = next(it)?;
                if let Event::SequenceEnd = ev {
                    // A flow sequence ends at its `]`, a block one where its last item does.
                    let close = offset(&sp.start)?;
                    let end = if src.as_bytes().get(close) == Some(&b']') {
                        offset(&sp.end)?
                    } else {
                        items.last().map_or(start, |n: &Node| n.end)
                    };
                    return Ok(mk(end, anchor, NodeKind::Seq(items)));
                }
                items.push(node(src, it, ev, sp, depth + 1)?);
            }
        }
        Event::MappingStart(style, ..) => {
            let anchor = anchor_start(it)?;
            let flow = style == granit_parser::StructureStyle::Flow;
            let mut entries = Vec::new();
            loop {
                let (ev, sp) = next(it)?;
                if let Event::MappingEnd = ev {
                    // A last value not written at all (`key:` alone) is placed
                    // anywhere near: the mapping ends at the `:` after its key.
                    let last = entries.last().map_or(start, |(k, v): &(Node, Node)| {
                        if v.is_empty_scalar() {
                            colon_after(src, k).map_or(k.end, |c| c + 1)
                        } else {
                            v.end.max(k.end)
                        }
                    });
                    let end = if flow { offset(&sp.end)? } else { last };
                    return Ok(mk(end, anchor, NodeKind::Map(entries, flow)));
                }
                let k = node(src, it, ev, sp, depth + 1)?;
                let (ev, sp) = next(it)?;
                let v = node(src, it, ev, sp, depth + 1)?;
                entries.push((k, v));
            }
        }
        other => Err(format!("unexpected {other:?}")),
    }
}

/// The document's root node (None for an empty document). A second
/// document is an error: the loader refuses it, and nothing in it would
/// be withheld.
pub(crate) fn tree(src: &str) -> Result<Option<Node>, String> {
    let mut o = Options::default();
    o.emit_anchor_events = true;
    let mut it: Events = Parser::new_from_str_with_options(src, o).peekable();
    let root = loop {
        let (ev, sp) = next(&mut it)?;
        match ev {
            Event::StreamEnd => return Ok(None),
            Event::StreamStart | Event::DocumentStart(..) => {}
            ev => break node(src, &mut it, ev, sp, 0)?,
        }
    };
    loop {
        let (ev, sp) = next(&mut it)?;
        match ev {
            Event::StreamEnd => return Ok(Some(root)),
            Event::DocumentEnd => {}
            _ => return Err(format!("a second YAML document starts on line {}", sp.start.line())),
        }
    }
}

/// The first byte at or after `i` that is neither white space nor part of a comment.
pub(crate) fn skip_space_and_comments(src: &str, mut i: usize) -> usize {
    let b = src.as_bytes();
    while let Some(&c) = b.get(i) {
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' && (i == 0 || b.get(i - 1).is_some_and(|p| p.is_ascii_whitespace())) {
            while b.get(i).is_some_and(|&c| c != b'\n') {
                i += 1;
            }
        } else {
            break;
        }
    }
    i
}

/// Where the `:` after a key stands, if there is one (an explicit key,
/// `? hint`, may have none).
pub(crate) fn colon_after(src: &str, k: &Node) -> Option<usize> {
    let colon = skip_space_and_comments(src, k.end);
    (src.as_bytes().get(colon) == Some(&b':')).then_some(colon)
}
