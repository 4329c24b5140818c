/**
 * Import direction, checked by `make test` (dependency-cruiser). The request path is layered:
 * the model and client formats at the bottom, providers (pure translators) above them, the
 * endpoints, governance and stores above those, and extproc (the Envoy-facing processors) and
 * the composition root (src/main.ts) on top. A rule here fails the build when a lower layer
 * reaches up.
 */
module.exports = {
  forbidden: [
    {
      name: 'providers-are-pure-translators',
      comment: 'Providers translate requests and answers; they never reach the pipeline, Envoy processors, stores or governance.',
      severity: 'error',
      from: { path: '^src/providers/' },
      to: { path: '^src/(pipeline|extproc|stores|governance|endpoints|admin|cli|main\\.ts)' },
    },
    {
      name: 'client-formats-stand-alone',
      comment: 'A client format (api/*) writes and reads its own wire format from the neutral model; it knows no provider and no pipeline.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/(providers|pipeline|extproc|stores|governance|endpoints|admin|cli|main\\.ts)' },
    },
    {
      name: 'model-is-the-bottom',
      comment: 'The neutral model (usage, parts, completions) depends on nothing of the gateway.',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { path: '^src/(?!model/)' },
    },
    {
      name: 'stores-know-no-request-path',
      comment: 'Stores keep state; they never call into the processors, endpoints or providers.',
      severity: 'error',
      from: { path: '^src/stores/' },
      to: { path: '^src/(extproc|endpoints|providers|pipeline|admin|cli|main\\.ts)' },
    },
    {
      name: 'only-the-root-composes',
      comment: 'Dependencies are passed in from src/main.ts; nothing else imports the composition root or the CLI.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli/|main\\.ts)' },
      to: { path: '^src/(cli/|main\\.ts)' },
    },
    {
      name: 'extproc-sees-envoy-through-the-contract',
      comment: 'The processors share names with Envoy only through config/envoy-contract.ts (and header rules through config/header-policy.ts); the renderer is the other side of that contract, never a source of constants.',
      severity: 'error',
      from: { path: '^src/extproc/' },
      to: { path: '^src/config/render-' },
    },
    {
      name: 'router-processor-only-dispatches',
      comment: 'The router processor dispatches Envoy phases to the pipeline (src/pipeline/: request stages, response observers); routing, capabilities, cache, guardrails, resilience and metering plug in there, not in the processor.',
      severity: 'error',
      from: { path: '^src/extproc/router-processor\\.ts$' },
      to: { path: '^src/(cache|guardrails|routing|capabilities|resilience|pricing|gateway|stores)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.src.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
