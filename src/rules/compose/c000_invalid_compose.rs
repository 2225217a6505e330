use crate::declare_rule;
use crate::rules::Check;

declare_rule! {
    /// ## What it does
    /// Reports compose files that Docker Compose itself would refuse: YAML syntax errors (including a key
    /// written twice in one mapping), keys and value types the Compose Specification does not allow
    /// (`port:` instead of `ports:`, `ports: 80`), malformed interpolation (`${VAR:?}` with the variable
    /// missing, `${ VAR}`), and references compose checks before it starts anything: a service with
    /// neither `image` nor `build`, `depends_on`, networks, named volumes, configs or secrets that are
    /// not defined.
    ///
    /// ## Why is this bad?
    /// `docker compose up` stops with an error before creating any container; a misspelt key that compose
    /// rejects never takes effect.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx:1.27
    ///     port:
    ///       - "8080:80"
    /// ```
    ///
    /// ## How to fix
    /// Use the key the message suggests (`ports`), fix the value's type, or define what is referenced:
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx:1.27
    ///     ports:
    ///       - "8080:80"
    /// ```
    pub static RULE = Rule {
        code: "C000",
        name: "invalid-compose",
        severity: Error,
        summary: "Docker Compose would reject the file or project",
        check: Check::Loader,
    }
}
