/** The in-memory datapath passes the shared conformance suite. */
import { datapathConformance } from "./testing/conformance.js";
import { FakeDatapath, FakeKernel } from "./testing/fake.js";

datapathConformance("fake", async () => {
  const kernel = new FakeKernel();
  kernel.existingNetns = new Set();
  return {
    openDatapath: async () => new FakeDatapath(kernel),
    newAttachment: async (name) => {
      const netnsPath = `/var/run/netns/fake-${name}`;
      kernel.existingNetns?.add(netnsPath);
      return { podKey: `default/${name}/uid-${name}`, netnsPath, podInterface: "eth0", hostInterface: `veth-${name}` };
    },
    tamper: async (attachment, direction, piece) => kernel.tamper(attachment.podKey, direction, piece),
    cleanup: async () => {},
  };
});
