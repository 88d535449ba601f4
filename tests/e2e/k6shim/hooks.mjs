const shims = {
  k6: './k6.mjs',
  'k6/http': './http.mjs',
  'k6/metrics': './metrics.mjs',
};

export async function resolve(specifier, context, nextResolve) {
  if (Object.hasOwn(shims, specifier)) {
    return { url: new URL(shims[specifier], import.meta.url).href, shortCircuit: true };
  }
  if (specifier.startsWith('k6/')) throw new Error(`the k6 shim does not provide ${specifier}`);
  return nextResolve(specifier, context);
}
