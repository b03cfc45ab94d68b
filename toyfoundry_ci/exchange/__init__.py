"""Exchange workflows with High Command's hub: pull directives, push evidence, notify, log."""
