/* Declarations shared by the addon's files: every exported function has the N-API callback signature. */
#ifndef PACER_ADDON_H
#define PACER_ADDON_H
#include "napi-util.h"
#include "netns.h"

void object_module_init(void);

#define PACER_NATIVE_FUNCTIONS(X)                                                                              \
	X(objectOpen, native_object_open)                                                                      \
	X(objectSetRodata, native_object_set_rodata)                                                           \
	X(objectLoad, native_object_load)                                                                      \
	X(objectProgramFd, native_object_program_fd)                                                           \
	X(objectMapFd, native_object_map_fd)                                                                   \
	X(objectClose, native_object_close)                                                                    \
	X(probeHelper, native_probe_helper)                                                                    \
	X(progTestRun, native_prog_test_run)                                                                   \
	X(objGet, native_obj_get)                                                                              \
	X(closeFd, native_close_fd)                                                                            \
	X(mapInfo, native_map_info)                                                                            \
	X(mapLookup, native_map_lookup)                                                                        \
	X(mapUpdate, native_map_update)                                                                        \
	X(mapDelete, native_map_delete)                                                                        \
	X(mapNextKey, native_map_next_key)                                                                     \
	X(possibleCpus, native_possible_cpus)                                                                  \
	X(tcHookCreate, native_tc_hook_create)                                                                 \
	X(tcHookDestroy, native_tc_hook_destroy)                                                               \
	X(tcAttach, native_tc_attach)                                                                          \
	X(tcDetach, native_tc_detach)                                                                          \
	X(tcQuery, native_tc_query)                                                                            \
	X(tcFilterList, native_tc_filter_list)                                                                 \
	X(qdiscList, native_qdisc_list)                                                                        \
	X(qdiscReplace, native_qdisc_replace)                                                                  \
	X(qdiscDelete, native_qdisc_delete)                                                                    \
	X(linkList, native_link_list)                                                                          \
	X(addrList, native_addr_list)                                                                          \
	X(linkSetGsoMaxSize, native_link_set_gso_max_size)                                                     \
	X(routeList, native_route_list)                                                                        \
	X(netnsWriteFile, native_netns_write_file)                                                             \
	X(netnsReadFile, native_netns_read_file)                                                               \
	X(statfsType, native_statfs_type)                                                                      \
	X(mountBpffs, native_mount_bpffs)                                                                      \
	X(unmount, native_unmount)

#define PACER_DECLARE(js_name, c_name) napi_value c_name(napi_env env, napi_callback_info info);
PACER_NATIVE_FUNCTIONS(PACER_DECLARE)
#undef PACER_DECLARE

/* Enter `netns` ("" = current) and resolve `ifname` there; on failure returns a {errno, message} result. */
napi_value enter_and_find(napi_env env, const char *netns, const char *ifname, struct netns_guard *guard,
			  int *ifindex);

#endif
