// Checks which texts PostgreSQL cannot store (NUL, malformed UTF-16) and how provider text is made storable.
import { storableText, storableTextProblem } from './text';

describe('storableTextProblem', () => {
  it.each<[string, string]>([
    ['empty text', ''],
    ['plain ASCII', 'Hello, world!'],
    ['accents and Cyrillic', 'Crème brûlée, Жанна'],
    ['CJK', '你好'],
    ['an emoji (a surrogate pair)', 'Hi 😀'],
    ['emoji only, several in a row', '😀👍🏽🎉'],
    ['a flag (two surrogate pairs)', '🇫🇷'],
    ['a family emoji with joiners', '👨‍👩‍👧'],
    ['control characters other than NUL', 'a\u0001\t\n\r\u007f'],
    ['the replacement character', '\ufffd'],
    ['the BOM', '\ufeffHi'],
  ])('accepts %s', (_case, value) => {
    expect(storableTextProblem(value)).toBeUndefined();
  });

  it.each<[string, string, RegExp]>([
    ['only NUL', '\u0000', /NUL/],
    ['NUL inside text', 'Hi\u0000there', /NUL/],
    ['NUL at the end', 'Hi 😀\u0000', /NUL/],
    ['a lone high surrogate', 'Hi \ud83d', /surrogate/],
    ['a lone low surrogate', '\ude00 Hi', /surrogate/],
    ['a reversed surrogate pair', '\ude00\ud83d', /surrogate/],
    ['an emoji cut in half', '😀'.slice(0, 1) + 'x', /surrogate/],
    ['two high surrogates', '\ud83d\ud83d', /surrogate/],
  ])('rejects %s', (_case, value, problem) => {
    expect(storableTextProblem(value)).toMatch(problem);
  });
});

describe('storableText', () => {
  it.each<[string, string, string]>([
    ['plain text unchanged', 'Hello, Жанна 😀', 'Hello, Жанна 😀'],
    ['a NUL', 'a\u0000b', 'a?b'],
    ['a lone high surrogate at the end', 'Hi \ud83d', 'Hi ?'],
    ['a lone low surrogate at the start', '\ude00 Hi', '? Hi'],
    ['a reversed pair', '\ude00\ud83d', '??'],
    ['two high surrogates before a low one', '\ud83d\ud83d\ude00', '?😀'],
  ])('makes %s storable', (_case, value, expected) => {
    const stored = storableText(value);
    expect(stored).toBe(expected);
    expect(storableTextProblem(stored)).toBeUndefined();
  });
});
