/**
 * Whether a Content-Type header names `type` in UTF-8: said (`charset=utf-8`, quoted or not, any
 * case) or implied (no charset); other parameters are allowed.
 */
export function isUtf8MediaType(contentType: string | undefined, type: string): boolean {
  if (!contentType) return false;
  const [name, ...parameters] = contentType.split(';');
  if (name.trim().toLowerCase() !== type) return false;
  return parameters.every((parameter) => {
    const [key, value = ''] = parameter.split('=');
    if (key.trim().toLowerCase() !== 'charset') return true;
    const charset = value
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    return charset === 'utf-8' || charset === 'utf8';
  });
}
