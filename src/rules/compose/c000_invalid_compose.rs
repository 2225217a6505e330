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
    /// A file that is not its directory's compose file and that compose rejects alone (an overlay used as
    /// `docker compose -f compose.yaml -f this.yaml`, whose networks, volumes or services the compose file
    /// defines) is checked merged onto the compose file compose finds from its directory, as it runs; only
    /// what is still wrong then is reported.
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
