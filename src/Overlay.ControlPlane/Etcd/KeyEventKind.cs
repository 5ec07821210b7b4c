namespace Overlay.ControlPlane.Etcd;

public enum KeyEventKind
{
    Put,
    Delete,
}
