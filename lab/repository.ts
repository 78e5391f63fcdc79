/** The repository root as the laboratory sees it (the same answer the product's addon loader uses). */
export { repositoryRoot as REPO_DIR } from "../src/bpf/native-binding.js";
