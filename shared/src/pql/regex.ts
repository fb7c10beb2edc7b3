/**
 * PQL's string patterns in JavaScript: `like` patterns and the Java
 * (`java.util.regex`) syntax of `matches` / `regexGroup` (pql.md §4.4).
 *
 * `javaRegex` translates the Java constructs that differ in JavaScript and
 * rejects, with a clear error, those JavaScript cannot express (possessive
 * quantifiers, atomic groups, class intersections, mid-pattern flags, …).
 * The result always carries the `u` flag, so `.` and `_` match one code point.
 */

export class PatternError extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`Unsupported or invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'PatternError';
  }
}

const likeCache = new Map<string, RegExp>();

/** `like`: `%` any run (including none), `_` exactly one code point, whole string, case-sensitive, no escape. */
export function likeToRegExp(pattern: string): RegExp {
  let re = likeCache.get(pattern);
  if (!re) {
    let src = '^';
    for (const ch of pattern) {
      if (ch === '%') src += '[\\s\\S]*';
      else if (ch === '_') src += '[\\s\\S]';
      else src += literal(ch);
    }
    re = new RegExp(src + '$', 'u');
    likeCache.set(pattern, re);
  }
  return re;
}

/** A code point as a regex atom that is literal everywhere (inside and outside classes). */
function literal(ch: string): string {
  if (/^[A-Za-z0-9 ]$/.test(ch)) return ch;
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}

const JAVA_SPACE = '\\t\\n\\x0B\\f\\r ';
const JAVA_HSPACE = ' \\t\\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000';
const JAVA_VSPACE = '\\n\\x0B\\f\\r\\x85\\u2028\\u2029';
const LINE_END = '(?:\\r\\n|[\\n\\r\\x85\\u2028\\u2029])';

/** POSIX character classes of java.util.regex (US-ASCII), as class contents. */
const POSIX: Readonly<Record<string, string>> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: JAVA_SPACE,
};

function unicodeProperty(name: string, pattern: string): string {
  const candidates: string[] = [];
  if (name.startsWith('Is')) {
    const rest = name.slice(2);
    candidates.push(rest, `Script=${rest}`);
  } else if (name.startsWith('In')) {
    throw new PatternError(pattern, `Unicode blocks (\\p{${name}}) are not supported`);
  } else if (name.startsWith('java')) {
    throw new PatternError(pattern, `\\p{${name}} is not supported`);
  } else {
    candidates.push(name, `Script=${name}`);
  }
  for (const c of candidates) {
    try {
      new RegExp(`\\p{${c}}`, 'u');
      return c;
    } catch {
      // try the next spelling
    }
  }
  throw new PatternError(pattern, `unknown character property \\p{${name}}`);
}

const jsCache = new Map<string, RegExp>();

/**
 * A Java regular expression as a JavaScript RegExp (flags `u`, plus `i`, `s`,
 * `m` from leading inline flags such as `(?i)`). Find semantics are the
 * caller's: use `re.exec` / `re.test` (no `g`).
 */
export function javaRegex(pattern: string): RegExp {
  const cached = jsCache.get(pattern);
  if (cached) return cached;
  const { source, flags } = translateJavaRegex(pattern);
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (e) {
    throw new PatternError(pattern, e instanceof Error ? e.message : String(e));
  }
  jsCache.set(pattern, re);
  return re;
}

export function translateJavaRegex(pattern: string): { source: string; flags: string } {
  const flagSet = new Set<string>(['u']);
  let i = 0;
  for (;;) {
    const m = /^\(\?([a-zA-Z]+)\)/.exec(pattern.slice(i));
    if (!m) break;
    for (const f of m[1]!) {
      if (f === 'i' || f === 's' || f === 'm') flagSet.add(f);
      else if (f === 'u' || f === 'U')
        continue; // Unicode case/classes: JS with `u` already is
      else throw new PatternError(pattern, `inline flag (?${f}) is not supported`);
    }
    i += m[0].length;
  }
  const dotAll = flagSet.has('s');
  const multiline = flagSet.has('m');
  let out = '';
  let inClass = false;
  let classFirst = false;

  const fail = (reason: string): never => {
    throw new PatternError(pattern, reason);
  };
  const afterQuantifier = () => {
    if (pattern[i] === '+') fail('possessive quantifiers (*+, ++, ?+, {n}+) are not supported');
    if (pattern[i] === '?') {
      out += '?';
      i++;
    }
  };

  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      i = escape(i);
      classFirst = false;
      continue;
    }
    if (inClass) {
      if (c === ']' && !classFirst) {
        inClass = false;
        out += ']';
        i++;
        continue;
      }
      classFirst = false;
      if (c === ']') {
        out += '\\]';
        i++;
        continue;
      }
      if (c === '[') fail('nested character classes are not supported');
      if (c === '&' && pattern[i + 1] === '&')
        fail('character class intersection (&&) is not supported');
      out += c;
      i++;
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        classFirst = true;
        out += '[';
        i++;
        if (pattern[i] === '^') {
          out += '^';
          i++;
        }
        continue;
      case '(':
        if (pattern[i + 1] === '?') {
          const rest = pattern.slice(i);
          const ok = /^\(\?(?::|=|!|<=|<!|<[A-Za-z][A-Za-z0-9]*>)/.exec(rest);
          if (!ok) {
            if (rest.startsWith('(?>')) fail('atomic groups (?>…) are not supported');
            fail('inline flags are only supported at the start of the pattern');
          }
          out += ok![0];
          i += ok![0].length;
          continue;
        }
        out += '(';
        i++;
        continue;
      case '*':
      case '+':
      case '?':
        out += c;
        i++;
        afterQuantifier();
        continue;
      case '{': {
        const q = /^\{\d+(?:,\d*)?\}/.exec(pattern.slice(i));
        if (!q) fail('a { that does not start a repetition {n}, {n,}, {n,m}');
        out += q![0];
        i += q![0].length;
        afterQuantifier();
        continue;
      }
      case ']':
      case '}':
        out += '\\' + c; // literal in Java outside a class; a syntax error in JS `u` mode
        i++;
        continue;
      case '.':
        out += dotAll ? '[\\s\\S]' : '[^\\n\\r\\x85\\u2028\\u2029]';
        i++;
        continue;
      case '$':
        out += multiline ? '$' : `(?=${LINE_END}?(?![\\s\\S]))`;
        i++;
        continue;
      default: {
        const cp = pattern.codePointAt(i)!;
        const ch = String.fromCodePoint(cp);
        out += ch;
        i += ch.length;
        continue;
      }
    }
  }
  if (inClass) fail('unclosed character class');
  return { source: out, flags: [...flagSet].sort().join('') };

  /** Translates the escape at `at` (a backslash); returns the index after it. */
  function escape(at: number): number {
    const n = pattern[at + 1];
    if (n === undefined) fail('trailing backslash');
    const e = n!;
    let j = at + 2;
    const put = (outside: string, inside: string | null) => {
      if (inClass) {
        if (inside === null) fail(`\\${e} inside a character class is not supported`);
        out += inside;
      } else out += outside;
    };
    switch (e) {
      case 'Q': {
        const end = pattern.indexOf('\\E', j);
        const text = end < 0 ? pattern.slice(j) : pattern.slice(j, end);
        for (const ch of text) out += literal(ch);
        return end < 0 ? pattern.length : end + 2;
      }
      case 'E':
        return j; // a stray \E is ignored by Java
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 't':
      case 'n':
      case 'r':
      case 'f':
        out += '\\' + e;
        return j;
      case 'b':
      case 'B':
        if (inClass) fail('\\b inside a character class');
        out += '\\' + e;
        return j;
      case 's':
        put(`[${JAVA_SPACE}]`, JAVA_SPACE);
        return j;
      case 'S':
        put(`[^${JAVA_SPACE}]`, '\\S');
        return j;
      case 'h':
        put(`[${JAVA_HSPACE}]`, JAVA_HSPACE);
        return j;
      case 'H':
        put(`[^${JAVA_HSPACE}]`, null);
        return j;
      case 'v':
        put(`[${JAVA_VSPACE}]`, JAVA_VSPACE);
        return j;
      case 'V':
        put(`[^${JAVA_VSPACE}]`, null);
        return j;
      case 'R':
        put('(?:\\r\\n|[\\n\\x0B\\f\\r\\x85\\u2028\\u2029])', null);
        return j;
      case 'a':
        out += '\\x07';
        return j;
      case 'e':
        out += '\\x1B';
        return j;
      case 'A':
        put('(?<![\\s\\S])', null);
        return j;
      case 'z':
        put('(?![\\s\\S])', null);
        return j;
      case 'Z':
        put(`(?=${LINE_END}?(?![\\s\\S]))`, null);
        return j;
      case '0': {
        const m = /^[0-7]{1,3}/.exec(pattern.slice(j));
        if (!m) fail('\\0 must be followed by an octal digit');
        let digits = m![0];
        if (digits.length === 3 && Number(digits[0]) > 3) digits = digits.slice(0, 2);
        out += `\\u{${parseInt(digits, 8).toString(16)}}`;
        return j + digits.length;
      }
      case 'x': {
        const braced = /^\{([0-9a-fA-F]+)\}/.exec(pattern.slice(j));
        if (braced) {
          out += `\\u{${braced[1]}}`;
          return j + braced[0].length;
        }
        const m = /^[0-9a-fA-F]{2}/.exec(pattern.slice(j));
        if (!m) fail('\\x needs two hex digits');
        out += '\\x' + m![0];
        return j + 2;
      }
      case 'u': {
        const m = /^[0-9a-fA-F]{4}/.exec(pattern.slice(j));
        if (!m) fail('\\u needs four hex digits');
        out += '\\u' + m![0];
        return j + 4;
      }
      case 'c': {
        const ch = pattern[j];
        if (!ch || !/[A-Za-z]/.test(ch)) fail('\\c needs a letter');
        out += '\\c' + ch;
        return j + 1;
      }
      case 'k': {
        const m = /^<([A-Za-z][A-Za-z0-9]*)>/.exec(pattern.slice(j));
        if (!m) fail('\\k needs a group name <name>');
        out += '\\k' + m![0];
        return j + m![0].length;
      }
      case 'p':
      case 'P': {
        let name: string;
        if (pattern[j] === '{') {
          const close = pattern.indexOf('}', j);
          if (close < 0) fail('unclosed \\p{');
          name = pattern.slice(j + 1, close);
          j = close + 1;
        } else {
          name = pattern[j] ?? '';
          if (!name) fail('\\p needs a property');
          j += 1;
        }
        const negated = e === 'P';
        const posix = POSIX[name.startsWith('Is') && POSIX[name.slice(2)] ? name.slice(2) : name];
        if (posix !== undefined) {
          if (inClass) {
            if (negated) fail('a negated POSIX class inside a character class');
            out += posix;
          } else out += negated ? `[^${posix}]` : `[${posix}]`;
        } else {
          out += `\\${e}{${unicodeProperty(name, pattern)}}`;
        }
        return j;
      }
      default:
        if (/[1-9]/.test(e)) {
          if (inClass) fail('a back reference inside a character class');
          const m = /^[0-9]*/.exec(pattern.slice(j))!;
          out += '\\' + e + m[0];
          return j + m[0].length;
        }
        if (/[A-Za-z]/.test(e)) fail(`\\${e} is not supported`);
        {
          const cp = pattern.codePointAt(at + 1)!;
          const ch = String.fromCodePoint(cp);
          out += literal(ch);
          return at + 1 + ch.length;
        }
    }
  }
}
