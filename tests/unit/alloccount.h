/*
 * alloccount.h: counts this thread's malloc/calloc/realloc calls, for tests
 * that prove a path allocates nothing. Include it in one test file of a
 * program: it replaces glibc's entry points and forwards to them. Sanitizer
 * builds own malloc, so there COUNT_ALLOCS is 0 and the counting checks are
 * to be skipped.
 */
#ifndef RETENTIOND_ALLOCCOUNT_H
#define RETENTIOND_ALLOCCOUNT_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

#if COUNT_ALLOCS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static _Thread_local long nallocs;	/* the calling thread's */

void	*malloc(size_t);
void	*calloc(size_t, size_t);
void	*realloc(void *, size_t);

void *
malloc(size_t n)
{
	nallocs++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t sz)
{
	nallocs++;
	return __libc_calloc(n, sz);
}

void *
realloc(void *p, size_t n)
{
	nallocs++;
	return __libc_realloc(p, n);
}
#endif

#endif
