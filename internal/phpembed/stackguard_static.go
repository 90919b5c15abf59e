//go:build ephpm_static

package phpembed

// The single binary links libphp.a statically, so stackguard.c cannot
// take zend_call_function's callers by defining the symbol itself (the
// shared-libphp build does): the linker's --wrap routes the calls other
// objects of libphp.a make to zend_execute_API.c's call entry points
// through stackguard.c's __wrap_ functions, which throw PHP 8.3's "Maximum
// call stack size" Error near the end of the stack instead of letting the
// thread overflow it.

// #cgo CFLAGS: -DEPHPM_WRAP_CALL_FUNCTION=1
// #cgo LDFLAGS: -Wl,--wrap=zend_call_function -Wl,--wrap=zend_call_known_function
// #cgo LDFLAGS: -Wl,--wrap=zend_call_known_instance_method_with_2_params
// #cgo LDFLAGS: -Wl,--wrap=zend_call_method_if_exists -Wl,--wrap=_call_user_function_impl
import "C"
