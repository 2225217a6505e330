//! `--format github`: GitHub Actions workflow commands, one annotation per finding:
//! `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=N001::message`.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;

/// Escapes a command's message (`%`, CR, LF), as the Actions runner decodes it.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as data, plus `:` and `,`, which end a property.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let loc = sources.location(d.span);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        // The code alone, as `title=N001`: annotation titles are short; the message says the rest.
        let title = d.code;
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        for r in &d.related {
            let rl = sources.location(r.span);
            message.push_str(&format!(
                "\n{}:{}:{}: {}",
                rl.file, rl.line, rl.column, r.message
            ));
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&loc.file),
            loc.line,
            loc.column,
            loc.end_line,
            loc.end_column,
            escape_property(title),
            escape_data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, Span};

    #[test]
    fn one_line_per_finding_with_escapes() {
        let mut m = SourceMap::new();
        let a = m.add(SourceFile::new("dir,x/a:b.conf".into(), None, "ab\ncdef\n"));
        let b = m.add(SourceFile::new("c.yml".into(), None, "x\n"));
        let d = Diagnostic::new(
            "N000",
            Severity::Warning,
            Span::new(a, 4, 6),
            "50% done\r\nnext",
        )
        .with_help("do: this, that")
        .with_related(Span::new(b, 0, 1), "here");
        let i = Diagnostic::new("X1", Severity::Info, Span::point(a, 0), "m");
        let out = render(&m, &[d, i]);
        assert_eq!(
            out,
            "::warning file=dir%2Cx/a%3Ab.conf,line=2,col=2,endLine=2,endColumn=4,title=N000::50%25 done%0D%0Anext%0Ahelp: do: this, that%0Ac.yml:1:1: here\n\
             ::notice file=dir%2Cx/a%3Ab.conf,line=1,col=1,endLine=1,endColumn=1,title=X1::m\n"
        );
    }
}
