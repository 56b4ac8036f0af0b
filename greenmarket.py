"""The green market as a whole: the domain packages built on core, in the order they stack.

The one module that names every layer. `core.create_app()` reads `DOMAINS` from here by name, so
core itself never imports a domain. A new top package (reports/, growers/) is added at the end,
above the packages it builds on; it exposes `models.MODELS`, `models.MIGRATIONS` and `init_app(app)`.
"""
DOMAINS = (
    "certificates",
    "traceability",
    "market",
    "reports",
    "growers",
)
