namespace bpfseal {}
