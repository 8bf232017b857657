/* A compile error whose message carries HTML. */
#error "<script>alert('xss-cc')</script><img src=x onerror=alert(2)>"
int main(void) { return 0; }
