// Package poly implements secret polynomials over a group's scalar field,
// their public (Feldman) commitments, and Lagrange interpolation at the share
// indices x_i = i+1 used throughout chainkey.
//
// A node with index i (0-based) always receives the evaluation at x = i+1, so
// no share is ever the evaluation at zero.
package poly
