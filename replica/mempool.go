package replica

// maxIngressTxBytes bounds a mempool transaction: the IC's ingress
// message limit of 2 MiB and room for the envelope (sender key,
// signature, delegations), so that a 1 MiB upload_chunk fits.
const maxIngressTxBytes = 2<<20 + 64<<10
