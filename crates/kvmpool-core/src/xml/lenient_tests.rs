//! What libvirt's parser accepts, kvmpool's reads: the cases found in real-world
//! documents (tests/realworld_xml has the documents and libvirt's verdict on each).

use crate::spec::{PoolSpec, PoolType, VolumeSpec};

#[test]
fn an_empty_uuid_is_no_uuid() {
    for uuid in ["<uuid/>", "<uuid></uuid>", "<uuid>  </uuid>"] {
        let xml =
            format!("<pool type='dir'><name>d</name>{uuid}<target><path>/d</path></target></pool>");
        let spec = PoolSpec::from_xml(&xml).unwrap();
        assert_eq!(spec.uuid(), None);
        assert!(!spec.to_xml().contains("uuid"));
    }
}

#[test]
fn adapter_names_and_parent_addresses_as_libvirt_reads_them() {
    let named = "<pool type='scsi'><name>s</name><source><adapter type='scsi_host' name='mptsas'/>\
                 </source><target><path>/dev/disk/by-path</path></target></pool>";
    let spec = PoolSpec::from_xml(named).unwrap();
    // stricter than libvirt only when validating a spec to define
    assert_eq!(spec.validate().unwrap_err().field(), Some("adapter"));
    let parent = "<pool type='scsi'><name>s</name><source><adapter type='scsi_host'>\
                  <parentaddr unique_id='1'><address domain='0x0000' bus='0x00' slot='0x1f'/>\
                  </parentaddr></adapter></source><target><path>/dev/disk/by-path</path></target></pool>";
    let xml = PoolSpec::from_xml(parent).unwrap().to_xml();
    assert!(xml.contains("function='0x0'"), "{xml}");
}

#[test]
fn rbd_needs_its_ceph_pool_name_as_in_libvirt() {
    let xml = "<pool type='rbd'><name>r</name><source><host name='mon'/></source></pool>";
    assert_eq!(
        PoolSpec::from_xml(xml).unwrap_err().field(),
        Some("source.name")
    );
}

#[test]
fn unknown_volume_formats_are_kept_where_libvirt_ignores_them() {
    let xml = "<volume><name>unit:0:0:1</name><capacity>1048576</capacity>\
               <target><path>/dev/sdb</path><format type='unknown'/></target></volume>";
    let vol = VolumeSpec::from_xml(xml).unwrap();
    assert!(vol.to_xml().contains("<format type='unknown'/>"));
    for ty in [
        PoolType::Iscsi,
        PoolType::Scsi,
        PoolType::Mpath,
        PoolType::Zfs,
    ] {
        vol.validate_for(ty).unwrap();
        assert!(!vol.to_xml_in(ty).contains("format"));
    }
    let e = vol.validate_for(PoolType::Dir).unwrap_err();
    assert_eq!(e.field(), Some("format"));
    assert!(e.to_string().contains("\"unknown\""), "{e}");
}

#[test]
fn a_missing_capacity_over_a_backing_store_stays_missing() {
    let xml = "<volume><name>overlay.qcow2</name><target><format type='qcow2'/></target>\
               <backingStore><path>/images/base.img</path><format type='raw'/></backingStore></volume>";
    let out = VolumeSpec::from_xml(xml).unwrap().to_xml();
    assert!(!out.contains("<capacity"), "{out}");
}

#[test]
fn an_ivgen_needs_a_cipher_as_in_libvirt() {
    let xml = "<volume><name>v</name><capacity>1</capacity><target><encryption format='luks'>\
               <ivgen name='plain64'/></encryption></target></volume>";
    assert!(VolumeSpec::from_xml(xml)
        .unwrap_err()
        .field()
        .unwrap()
        .ends_with("ivgen"));
}
