# HTML in the output of a failing run: it must be shown escaped, never as markup.
import sys
print("<script>alert('xss-stdout')</script>", flush=True)
print('<img src=x onerror="alert(1)">', flush=True)
print("</pre></div><script>document.title='owned'</script>", flush=True)
print("hello os", flush=True)
sys.stderr.write("<script>alert('xss-stderr')</script>\n")
