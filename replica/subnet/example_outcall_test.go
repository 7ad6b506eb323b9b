package subnet_test

import (
	"fmt"

	"github.com/chainkey/chainkey/replica/subnet"
)

// An outcall's response needs matching reports from n - f nodes: 3 of 4,
// 9 of 13.
func ExampleOutcallQuorum() {
	fmt.Println(subnet.OutcallQuorum(4), subnet.OutcallQuorum(13))
	// Output: 3 9
}
