/** The terms page's Markdown subset: the markup it knows becomes HTML, everything else is escaped text. */
import { describe, expect, test } from 'bun:test';
import { markdown } from '../../src/console/markdown';

const md = (s: string) => markdown(s).value;

describe('markdown subset', () => {
  test('headings, paragraphs, lists, emphasis, code and http(s) links', () => {
    expect(md('# Title\n\nOne\nline.\n\n## Sub')).toBe('<h2>Title</h2><p>One line.</p><h3>Sub</h3>');
    expect(md('- a\n- **b** and *c* and _d_\n\n1. x\n2) `y`')).toBe('<ul><li>a</li><li><strong>b</strong> and <em>c</em> and <em>d</em></li></ul><ol><li>x</li><li><code>y</code></li></ol>');
    expect(md('[site](https://example.org/a?b=1&c=2)')).toBe('<p><a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">site</a></p>');
  });

  test('HTML in the file is shown as text, never passed through', () => {
    const out = md('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n# <b>bold</b>\n\n- <iframe src="https://evil.example">');
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<b>');
    expect(out).not.toContain('<iframe');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('<h2>&lt;b&gt;bold&lt;/b&gt;</h2>');
  });

  test('links to other schemes stay text; link text and code are escaped; attributes cannot be broken out of', () => {
    expect(md('[x](javascript:alert(1))')).toBe('<p>[x](javascript:alert(1))</p>');
    expect(md('[x](data:text/html,hi)')).not.toContain('<a ');
    expect(md('[<i>t</i>](https://e.org)')).toBe('<p><a href="https://e.org" rel="noopener noreferrer nofollow">&lt;i&gt;t&lt;/i&gt;</a></p>');
    expect(md('[t](https://e.org/"onmouseover="x)')).not.toContain('"onmouseover');
    expect(md('`<b>&</b>`')).toBe('<p><code>&lt;b&gt;&amp;&lt;/b&gt;</code></p>');
  });
});
