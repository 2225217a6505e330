//! Placeholder: the directive table lands with `grammar/nginx/directives.tsv`.
