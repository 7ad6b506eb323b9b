// Package grouptest checks implementations of group.Group against the laws
// and encoding rules that the group package documents. Each concrete group
// calls Run from its tests.
package grouptest
