use crate::compose::ports::PortBinding;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, ComposeCx};

declare_rule! {
    /// ## What it does
    /// Reports a service that publishes a fixed host port on which a developer's own tools usually run:
    /// 5000 (Flask, and macOS AirPlay Receiver), 7000 (AirPlay), 3000 (Node.js, Rails), 5173 (Vite),
    /// 8000 (Django, uvicorn), 8080, 4200 (Angular), 8888 (Jupyter) and a few more. The list is
    /// configurable in `.wirelint.toml` at the repository root:
    /// ```toml
    /// [compose]
    /// dev-ports = [3000, 5000, 8000]
    /// ```
    /// A port given by a variable (`"${WEB_PORT:-5000}:5000"`) is reported as info only, since the
    /// developer can move it without editing the file.
    ///
    /// ## Why is this bad?
    /// When a local development server already holds the port, the container cannot bind it ("address
    /// already in use"), exits, and the reverse proxy in front of it answers 502 Bad Gateway.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     build: .
    ///     ports:
    ///       - "5000:5000"
    /// ```
    ///
    /// ## How to fix
    /// When only other containers (nginx) talk to the service, drop `ports` and use the compose network
    /// (`http://app:5000`), with `expose` to document the port. Otherwise bind loopback only, or let the
    /// developer move the port with a variable:
    /// ```yaml
    /// services:
    ///   app:
    ///     build: .
    ///     expose:
    ///       - "5000"
    ///   # or: ports: ["127.0.0.1:${APP_PORT:-5000}:5000"]
    /// ```
    pub static RULE = Rule {
        code: "C001",
        name: "dev-port-collision",
        severity: Warning,
        summary: "a fixed published host port that local development tools usually hold",
        check: Check::Compose(check),
    }
}

/// The built-in dev-port list: each port with the tools that usually hold it.
pub const DEFAULT_DEV_PORTS: &[(u16, &str)] = &[
    (1313, "Hugo's dev server"),
    (
        3000,
        "Node.js dev servers (Express, Next.js, Create React App) and Rails",
    ),
    (4000, "Jekyll and Phoenix"),
    (4200, "the Angular CLI dev server"),
    (4321, "Astro's dev server"),
    (5000, "Flask's dev server and macOS AirPlay Receiver"),
    (5173, "Vite's dev server"),
    (5500, "VS Code Live Server"),
    (6006, "Storybook"),
    (7000, "macOS AirPlay Receiver"),
    (
        8000,
        "Django's runserver, uvicorn and `python -m http.server`",
    ),
    (8080, "webpack-dev-server, Spring Boot and Tomcat"),
    (8501, "Streamlit"),
    (8888, "Jupyter"),
];

fn tools_for(cx: &ComposeCx<'_>, port: u16) -> Option<String> {
    match &cx.settings.compose.dev_ports {
        Some(list) => list.contains(&port).then(|| {
            DEFAULT_DEV_PORTS
                .iter()
                .find(|(p, _)| *p == port)
                .map(|(_, t)| t.to_string())
                .unwrap_or_else(|| "a tool on your dev-port list".to_string())
        }),
        None => DEFAULT_DEV_PORTS
            .iter()
            .find(|(p, _)| *p == port)
            .map(|(_, t)| t.to_string()),
    }
}

fn finding(cx: &ComposeCx<'_>, service: &str, b: &PortBinding) -> Option<Diagnostic> {
    let published = b.published?;
    // A host range lets Docker pick a free port from it.
    if published.start != published.end {
        return None;
    }
    let port = published.start;
    let tools = tools_for(cx, port)?;
    let mut d = RULE.diag(
        b.span,
        format!("service \"{service}\" publishes host port {port}, often taken by {tools}"),
    );
    let help = match &b.published_var {
        Some(var) => {
            d = d.with_severity(Severity::Info);
            format!("the port comes from ${{{var}}}: a developer whose {port} is taken can set {var} to another port in `.env`")
        }
        None => format!(
            "if only other containers reach \"{service}\", drop `ports` and use the compose network (`{service}:{}`), documenting it with `expose`; otherwise bind loopback and let developers move it: \"127.0.0.1:${{{}_PORT:-{port}}}:{}\"",
            b.target,
            service.to_ascii_uppercase().replace(['-', '.'], "_"),
            b.target
        ),
    };
    Some(d.with_help(help))
}

fn check(cx: &ComposeCx<'_>, out: &mut Vec<Diagnostic>) {
    for s in &cx.project.services {
        for b in &s.ports {
            out.extend(finding(cx, &s.name.value, b));
        }
    }
}
